#!/bin/sh
# The federation authority of docker-compose.yml, as a city's authority operator would run it.
#
#   HB_AUTHORITY   the authority's private folder (key, draft, every signed serial)   /authority
#   HB_FEDERATION  the folder shared with the nodes                                   /federation
#   HB_FEDERATION_ID, HB_FEDERATION_NAME   the federation's id and display name
#   HB_EXPECT      node ids to wait for before the first signing (optional)
#   HB_EXPECT_WAIT_S  how long to wait for them (60); HB_POLL_S  how often to look (2)
#
# First start: `hourbridge directory init` makes the authority key, and the anchor line goes to
# $HB_FEDERATION/anchor for the nodes to pin. Then, every HB_POLL_S, each node's request in
# $HB_FEDERATION/requests/<node>.req (its `keys list` key line, URL, region, name, unit; written
# by node.sh) is added with `directory add-node` (a changed URL with `directory set-url`), and a
# changed draft is signed and published as $HB_FEDERATION/directory.json, which the nodes load.
# Runs outside a container too: set the two folders. Stops on SIGTERM or SIGINT.
set -eu
AUTH="${HB_AUTHORITY:-/authority}"
FED="${HB_FEDERATION:-/federation}"
FED_ID="${HB_FEDERATION_ID:-cn-eldercare}"
FED_NAME="${HB_FEDERATION_NAME:-}"
EXPECT="${HB_EXPECT:-}"
EXPECT_WAIT_S="${HB_EXPECT_WAIT_S:-60}"
POLL_S="${HB_POLL_S:-2}"

trap 'echo "authority: stopping"; exit 0' TERM INT
field() { sed -n "s/^$1=//p" "$2" | head -n 1; }
log() { echo "authority: $*"; }

mkdir -p "$FED/requests"
mkdir -p -m 700 "$AUTH" "$AUTH/admitted"  # what was added, kept where no node can write
if [ ! -f "$AUTH/draft.json" ]; then
  # The last line `directory init` prints is the anchor.
  hourbridge directory init --federation-id "$FED_ID" --name "$FED_NAME" --authority "$AUTH" \
    > "$AUTH/init.out"
  cat "$AUTH/init.out"
  tail -n 1 "$AUTH/init.out" > "$FED/anchor.tmp"
else
  hourbridge directory anchor --authority "$AUTH" | tail -n 1 > "$FED/anchor.tmp"
fi
grep -q '^ed25519:' "$FED/anchor.tmp" || { log "no anchor line"; exit 1; }
mv "$FED/anchor.tmp" "$FED/anchor"
log "anchor $(cat "$FED/anchor") published in $FED/anchor"

# One node's request: add it, or follow its new URL. Prints "changed" when the draft changed.
admit() {
  req="$1" node="$(field node_id "$1")"
  seen="$AUTH/admitted/$node.req"
  if [ -f "$seen" ] && cmp -s "$req" "$seen"; then return 0; fi
  key="$(field key "$req")" url="$(field url "$req")"
  if [ ! -f "$seen" ]; then
    hourbridge directory add-node --authority "$AUTH" --node-id "$node" \
      --name "$(field name "$req")" --region "$(field region "$req")" --url "$url" \
      --public-key "$key" --unit-name "$(field unit_name "$req")" \
      --unit-units "$(field unit_units "$req")" --unit-minutes "$(field unit_minutes "$req")" \
      >&2 || return 1
  elif [ "$key" != "$(field key "$seen")" ]; then
    log "$node sent another key: an operator must check it and run directory rotate-key" >&2
    return 0
  elif [ "$url" != "$(field url "$seen")" ]; then
    hourbridge directory set-url --authority "$AUTH" --node-id "$node" --url "$url" >&2 || return 1
  fi
  cp "$req" "$seen" || return 1
  echo changed
}

waited=0
while :; do
  missing=""
  for node in $EXPECT; do
    [ -f "$FED/requests/$node.req" ] || missing="$missing $node"
  done
  if [ -z "$missing" ] || [ "$waited" -ge "$EXPECT_WAIT_S" ] || [ -f "$FED/directory.json" ]; then
    changed=""
    for req in "$FED"/requests/*.req; do
      [ -f "$req" ] || continue
      changed="$changed$(admit "$req" || log "refused $req")"
    done
    if [ -n "$changed" ]; then
      hourbridge directory sign --authority "$AUTH" --publish "$FED/directory.json"
    fi
  fi
  sleep "$POLL_S" & wait $!
  waited=$((waited + POLL_S))
done
