#!/bin/sh
# One node of docker-compose.yml: initialise once, ask the authority to list it, pin the
# authority's anchor, and serve once the signed directory lists this node.
#
#   HB_NODE_ID, HB_REGION, HB_NAME, HB_URL   the node (HB_URL: what peers use to reach it)
#   HB_DATA        the node's data folder                                          /data
#   HB_FEDERATION  the folder shared with the authority                            /federation
#   HB_POLICY      the city's policy file (examples/policies/ in the image)
#   HB_HOST, HB_PORT  where serve listens (0.0.0.0, 8700)
#   HB_WAIT_S      how long to wait for the anchor and the directory (120)
#   HOURBRIDGE_DATABASE_URL  the node's PostgreSQL (unset: SQLite in HB_DATA)
#
# The request for the authority is $HB_FEDERATION/requests/<node>.req: the key line of
# `hourbridge keys list`, URL, region, name and the policy's unit. A city's operator sends the
# same by mail or phone instead (docs/operations.md, "Joining a federation").
# Runs outside a container too: set the variables and the folders.
set -eu
: "${HB_NODE_ID:?}" "${HB_REGION:?}" "${HB_URL:?}"
DATA="${HB_DATA:-/data}"
FED="${HB_FEDERATION:-/federation}"
POLICY="${HB_POLICY:-}"
WAIT_S="${HB_WAIT_S:-120}"
log() { echo "$HB_NODE_ID: $*"; }

if [ ! -f "$DATA/node.toml" ]; then
  hourbridge init --node-id "$HB_NODE_ID" --region "$HB_REGION" --url "$HB_URL" \
    --name "${HB_NAME:-}" --data "$DATA"
fi

wait_for() {  # wait_for WHAT COMMAND...: until the command succeeds, at most WAIT_S seconds
  what="$1"; shift; waited=0
  until "$@"; do
    if [ "$waited" -ge "$WAIT_S" ]; then log "no $what after $WAIT_S s"; exit 1; fi
    sleep 1; waited=$((waited + 1))
  done
}

# Pin a node.toml setting the way an operator edits the file.
pin() {
  if grep -q "^$1 = " "$DATA/node.toml"; then
    sed -i "s|^$1 = .*|$1 = $2|" "$DATA/node.toml"
  else
    echo "$1 = $2" >> "$DATA/node.toml"
  fi
}

wait_for "authority anchor in $FED/anchor" test -s "$FED/anchor"
pin directory_anchors "[\"$(cat "$FED/anchor")\"]"
pin directory_source "\"$FED/directory.json\""
pin url "\"$HB_URL\""
unit="minute
1
1"
if [ -n "$POLICY" ]; then
  pin policy_file "\"$POLICY\""
  # The directory lists the policy's unit, so peers and the node show the same one.
  unit="$(python3 -c 'import sys, tomllib
u = tomllib.load(open(sys.argv[1], "rb")).get("unit", {})
print(u.get("name", "minute"), u.get("units", 1), u.get("minutes", 1), sep="\n")' "$POLICY")"
fi
# Wide columns: the key line is never cut, whatever the terminal (or none) says.
key="$(COLUMNS=400 hourbridge keys list --data "$DATA" \
  | grep -o 'ed25519:[A-Za-z0-9_-]*=[A-Za-z0-9_-]*' | head -n 1)"
[ -n "$key" ] || { log "no key line in hourbridge keys list"; exit 1; }
mkdir -p "$FED/requests"
printf 'node_id=%s\nkey=%s\nurl=%s\nregion=%s\nname=%s\nunit_name=%s\nunit_units=%s\nunit_minutes=%s\n' \
  "$HB_NODE_ID" "$key" "$HB_URL" "$HB_REGION" "${HB_NAME:-$HB_NODE_ID}" \
  "$(echo "$unit" | sed -n 1p)" "$(echo "$unit" | sed -n 2p)" "$(echo "$unit" | sed -n 3p)" \
  > "$FED/requests/.$HB_NODE_ID.tmp"
mv "$FED/requests/.$HB_NODE_ID.tmp" "$FED/requests/$HB_NODE_ID.req"
log "asked the authority to list $key at $HB_URL"

listed() { grep -q "\"base_url\": \"$HB_URL\"" "$FED/directory.json" 2>/dev/null; }
wait_for "directory listing $HB_URL in $FED/directory.json" listed
exec hourbridge serve --data "$DATA" --host "${HB_HOST:-0.0.0.0}" --port "${HB_PORT:-8700}" \
  --log-level info
