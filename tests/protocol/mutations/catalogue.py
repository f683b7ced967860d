"""Planted mistakes: each one a plausible bug of an implementation of the standard, written as
exact source edits of the reference implementation (protocol/), with the vectors that catch it.

tests/protocol/mutations/test_mutations.py plants each into a copy of protocol/ and checks that
every vector named in `caught_by` fails against the copy; docs/standard.md §17 publishes this
list as a table, which the same test keeps equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    file: str  # relative to protocol/
    old: str  # must occur exactly once in the file
    new: str


@dataclass(frozen=True)
class Mutation:
    name: str
    mistake: str  # in words, as the table in docs/standard.md §17 gives it
    edits: tuple[Edit, ...]
    caught_by: tuple[str, ...]  # vector checks (vector_check.py names) that must fail


def _one(name: str, mistake: str, file: str, old: str, new: str, *caught_by: str) -> Mutation:
    return Mutation(name, mistake, (Edit(file, old, new),), caught_by)


_UPPER_ESCAPES = (
    '__import__("re").sub(r"\\\\u00[01][0-9a-f]", lambda m: "\\\\u" + m.group()[2:].upper(), '
    'text).encode("utf-8")'
)
_L = "(2**252 + 27742317777372353535851937790883648493)"

MUTATIONS: tuple[Mutation, ...] = (
    # §3 encoding ------------------------------------------------------------------------------
    _one("keys_by_code_point", "object members sorted by code point, not by UTF-16 code units",
         "canonical.py", "    if ascii_keys:\n", "    if True:\n",
         "positive/encoding/canonical/member_order_utf16"),
    _one("escapes_uppercase", "control characters escaped as `\\u001F` instead of `\\u001f`",
         "canonical.py", '            return text.encode("utf-8")',
         f"            return {_UPPER_ESCAPES}",
         "positive/encoding/canonical/string_escapes",
         "negative/transaction/memo_control_character"),
    Mutation("integer_range_unchecked",
             "integers beyond ±(2^53 − 1) accepted (parsed and encoded)",
             (Edit("wire.py",
                   "    if too_long or not -INT_ABS_MAX <= (value := int(text)) <= INT_ABS_MAX:",
                   "    if (value := int(text)) is None:"),
              Edit("canonical.py", "        if not -INT_ABS_MAX <= value <= INT_ABS_MAX:\n"
                   "            raise _Refused",
                   "        if False:\n            raise _Refused"),
              Edit("canonical.py", '        if not -INT_ABS_MAX <= value <= INT_ABS_MAX:\n'
                   '            raise CanonicalError(',
                   '        if False:\n            raise CanonicalError(')),
             ("negative/encoding/integer_above_range", "negative/encoding/integer_below_range")),
    _one("integer_bound_exclusive", "the integer bounds ±(2^53 − 1) themselves refused",
         "wire.py", "not -INT_ABS_MAX <= (value := int(text)) <= INT_ABS_MAX",
         "not -INT_ABS_MAX < (value := int(text)) < INT_ABS_MAX",
         "positive/encoding/canonical/integers"),
    _one("duplicate_members_accepted", "a member name twice in one object accepted (last wins)",
         "wire.py", "        if key in result:\n", "        if False:\n",
         "negative/encoding/duplicate_member",
         "negative/transaction/duplicate_member"),
    _one("float_accepted", "a number with a fraction accepted when its value is integral",
         "wire.py", "            parse_float=_no_float,",
         "            parse_float=lambda t: int(float(t)),",
         "negative/encoding/fraction",
         "negative/encoding/exponent",
         "negative/transaction/float_amount"),
    _one("lone_surrogate_accepted", "a string holding an unpaired surrogate accepted",
         "wire.py", '    if "\\\\u" in text:', "    if False:",
         "negative/encoding/lone_surrogate"),
    _one("unknown_members_ignored", "members a document does not define ignored, not refused",
         "fields.py", 'model_config = ConfigDict(frozen=True, extra="forbid")',
         'model_config = ConfigDict(frozen=True, extra="ignore")',
         "negative/transaction/relocation_profile_unknown_member",
         "negative/transaction/unsigned_member"),
    _one("control_characters_in_text", "control characters allowed in text for people (memo)",
         "fields.py", 'TEXT_PATTERN = r"^[^\\x00-\\x1f\\x7f]*$"', 'TEXT_PATTERN = r"^.*$"',
         "negative/transaction/memo_control_character"),
    _one("memo_counts_utf16_units", "\"140 characters\" of memo counted in UTF-16 code units",
         "fields.py",
         "Memo = Annotated[StrictStr, Field(max_length=MEMO_CHARS_MAX, pattern=TEXT_PATTERN)]",
         "Memo = Annotated[StrictStr, Field(pattern=TEXT_PATTERN), AfterValidator(lambda t: t if "
         "len(t.encode('utf-16-le')) // 2 <= MEMO_CHARS_MAX else int('x'))]",
         "positive/pins/memo_140_characters"),
    _one("memo_limit_off_by_one", "a memo of 141 characters accepted", "fields.py",
         "Field(max_length=MEMO_CHARS_MAX, pattern", "Field(max_length=MEMO_CHARS_MAX + 1, pattern",
         "negative/transaction/memo_141_characters"),
    # §5 signatures ----------------------------------------------------------------------------
    _one("signature_trailing_bits", "base64url signature with unused trailing bits set accepted",
         "signing.py", "    if b64url_encode(raw) != text:", "    if False:",
         "negative/transaction/signature_trailing_bits"),
    Mutation("signature_padding", "base64url signature with `=` padding accepted",
             (Edit("signing.py", 'if not isinstance(text, str) or "=" in text:',
                   'text = text.rstrip("=") if isinstance(text, str) else text\n'
                   '    if not isinstance(text, str):'),),
             ("negative/transaction/signature_padded",)),
    _one("signature_s_reduced", "Ed25519 S ≥ L accepted (S reduced mod L before verifying)",
         "signing.py", "        key.public_key.verify(raw, signing_bytes(obj))",
         f"        key.public_key.verify(raw[:32] + (int.from_bytes(raw[32:], 'little') % {_L})"
         ".to_bytes(32, 'little'), signing_bytes(obj))",
         "negative/transaction/signature_s_not_reduced"),
    _one("unsigned_member_signed", "the `unsigned` member included in the signed bytes",
         "signing.py", 'UNSIGNED_MEMBERS = ("signatures", "unsigned")',
         'UNSIGNED_MEMBERS = ("signatures",)',
         "negative/transaction/unsigned_member"),
    _one("empty_entry_missing_signature", "an empty signatures entry `{}` refused as "
         "missing_signature, not malformed", "envelope.py",
         "    if not isinstance(by_signer, dict) or len(by_signer) != 1:\n",
         "    if by_signer == {}:\n        raise AuthError(ReasonCode.MISSING_SIGNATURE, 'empty')\n"
         "    if not isinstance(by_signer, dict) or len(by_signer) != 1:\n",
         "negative/transaction/empty_signature_entry",
         "negative/reconciliation/request_empty_signature_entry"),
    _one("valid_until_inclusive", "a key's `valid_until_ms` treated as inclusive",
         "directory.py", "at_ms < self.valid_until_ms", "at_ms <= self.valid_until_ms",
         "negative/transaction/key_at_window_end"),
    _one("valid_from_exclusive", "a key's `valid_from_ms` treated as exclusive",
         "directory.py", "        if at_ms < self.valid_from_ms:",
         "        if at_ms <= self.valid_from_ms:",
         "positive/pins/key_window_start"),
    _one("key_validity_before_skew", "a key not yet valid refused as key_not_valid (final) even "
         "when the signing time is outside the skew bound", "envelope.py",
         "        if abs(now_ms - signed_at_ms) > directory.policy.skew_ms:", "        if False:",
         "negative/transaction/clock_lags_new_key",
         "negative/reconciliation/request_clock_lags_new_key"),
    # §5.4 admission, §6 chain -----------------------------------------------------------------
    _one("skew_bound_exclusive",
         "the clock-skew bound taken as exclusive (a difference of exactly `skew_ms` refused)",
         "envelope.py", "    if abs(now_ms - transaction.created_at_ms) > policy.skew_ms:",
         "    if abs(now_ms - transaction.created_at_ms) >= policy.skew_ms:",
         "positive/pins/clock_skew_at_bound_ahead",
         "positive/pins/clock_skew_at_bound_behind"),
    _one("skew_one_sided", "only a signing time in the past checked against the skew bound",
         "envelope.py", "    if abs(now_ms - transaction.created_at_ms) > policy.skew_ms:",
         "    if now_ms - transaction.created_at_ms > policy.skew_ms:",
         "negative/transaction/clock_skew_behind"),
    _one("sender_status_ignored", "a suspended sender admitted", "envelope.py",
         "    if node.status is NodeStatus.SUSPENDED:", "    if False:",
         "negative/transaction/suspended_sender"),
    _one("receiver_not_checked", "a transaction addressed to another node admitted",
         "envelope.py", "    if receiver != me:", "    if False:",
         "negative/transaction/wrong_receiver",
         "negative/reconciliation/request_wrong_receiver"),
    _one("sequence_off_by_one", "the first transaction on a link expected at sequence 0",
         "chain.py", "        return self.last_sequence + 1, self.last_hash",
         "        return self.last_sequence, self.last_hash",
         "positive/transfer.prepare",
         "negative/transaction/prev_hash_mismatch"),
    _one("hash_keeps_signing_time", "the transaction hash computed with `created_at_ms`",
         "transaction.py", 'HASH_EXCLUDED_MEMBERS = (*UNSIGNED_MEMBERS, "created_at_ms")',
         "HASH_EXCLUDED_MEMBERS = UNSIGNED_MEMBERS",
         "positive/transfer.prepare",
         "positive/evidence_after_rotation"),
    # §6.4 responses, §8 messages, §9 transfers --------------------------------------------------
    _one("answer_in_reply_to_unchecked", "an answer's `in_reply_to` not compared with the "
         "request's message id", "envelope.py",
         "    if answer.body.in_reply_to != request.message_id:", "    if False:",
         "negative/response/answer_in_reply_to_other"),
    _one("answer_ids_derived", "an answer's message id required to be `a-` + the request's",
         "envelope.py", "    if answer.body.in_reply_to != request.message_id:",
         "    if answer.message_id != f'a-{request.message_id}'[:64]:\n        return False\n"
         "    if answer.body.in_reply_to != request.message_id:",
         "positive/pins/answer_ids_free"),
    _one("answer_ids_not_unique", "two answers with one message id accepted in a response",
         "transaction.py",
         '            raise ValueError("a refused transaction has no answers")\n'
         "        _unique_ids([message.message_id for message in self.messages])",
         '            raise ValueError("a refused transaction has no answers")',
         "negative/response/answer_ids_repeated"),
    _one("expiry_inclusive", "a prepare accepted at its `expires_at_ms` instant",
         "transfer_rules.py", "    if now_ms >= prepare.expires_at_ms:",
         "    if now_ms > prepare.expires_at_ms:",
         "negative/transaction/prepare_at_expiry"),
    _one("amount_zero_allowed", "a transfer of 0 minutes accepted", "fields.py",
         "AmountMinutes = Annotated[StrictInt, Field(ge=1,",
         "AmountMinutes = Annotated[StrictInt, Field(ge=0,",
         "negative/transaction/amount_zero"),
    _one("amount_policy_unchecked", "an amount over `policy.amount_minutes_max` accepted",
         "transfer_rules.py", "    if prepare.amount_minutes > policy.amount_minutes_max:",
         "    if False:",
         "negative/transaction/amount_over_policy"),
    # §11 and §20 Merkle -----------------------------------------------------------------------
    _one("merkle_no_leaf_prefix", "Merkle leaves hashed without the 0x00 prefix", "merkle.py",
         'LEAF_PREFIX = b"\\x00"', 'LEAF_PREFIX = b""',
         "positive/reconciliation/merkle_root",
         "positive/reconciliation/descent"),
    _one("merkle_node_prefix", "inner Merkle nodes hashed with 0x00 instead of 0x01",
         "merkle.py", 'NODE_PREFIX = b"\\x01"', 'NODE_PREFIX = b"\\x00"',
         "positive/reconciliation/merkle_root"),
    _one("merkle_odd_node_duplicated", "an odd last node paired with itself (Bitcoin style) "
         "instead of carried up", "merkle.py", "            paired.append(level[-1])",
         "            paired.append(hashlib.sha256(NODE_PREFIX + level[-1] + level[-1]).digest())",
         "positive/reconciliation/merkle_root"),
    _one("merkle_split_half", "the tree split at ⌈n/2⌉ instead of the largest power of two < n",
         "merkle.py", "    split = _split(len(leaves))", "    split = (len(leaves) + 1) // 2",
         "positive/reconciliation/merkle_root"),
    _one("range_digest_prefix", "a range digest without the 0x02 prefix", "merkle_diff.py",
         'RANGE_PREFIX = b"\\x02"', 'RANGE_PREFIX = b""',
         "positive/reconciliation/merkle_root",
         "positive/reconciliation/descent"),
    _one("split_key_lower_median", "`split_key` answers the lower median (index (n−1)/2)",
         "merkle_diff.py", "        return self._keys[first + (end - first) // 2]",
         "        return self._keys[first + (end - first - 1) // 2]",
         "positive/reconciliation/descent"),
    _one("relocation_leaf_message_id", "a relocation's leaf keyed by its message id instead of "
         "its `relocation_id`", "reconciliation.py",
         "    return TransferLeaf(old_node, body.relocation_id, moved, message_hash(prepare))",
         "    return TransferLeaf(old_node, prepare.message_id, moved, message_hash(prepare))",
         "positive/reconciliation/relocation_leaf"),
    _one("relocation_leaf_one_balance", "a relocation's leaf amount taken from its first balance "
         "only", "reconciliation.py",
         "    moved = sum(balance.amount_minutes for balance in body.balances)",
         "    moved = body.balances[0].amount_minutes",
         "positive/reconciliation/relocation_leaf"),
    # §13 directory ----------------------------------------------------------------------------
    _one("directory_other_federation", "a directory of another federation accepted",
         "directory.py", "    if current is not None and directory.federation_id != "
         "current.federation_id:", "    if False:",
         "negative/directory/other_federation"),
    _one("directory_newer_serial_earlier", "a newer serial issued before the held one accepted",
         "authority.py", "        if current is not None and candidate.issued_at_ms < "
         "current.issued_at_ms:", "        if False:",
         "negative/directory/newer_serial_issued_earlier"),
    _one("directory_caps_unchecked", "a node's caps above the policy's maximum accepted",
         "directory.py", "    _check_caps(directory)\n    return directory", "    return directory",
         "negative/directory/node_cap_over_policy"),
    _one("directory_nodes_unsorted", "nodes in any order accepted", "directory.py",
         "        if ids != sorted(set(ids)):", "        if len(ids) != len(set(ids)):",
         "negative/directory/nodes_unsorted"),
    _one("directory_key_id_not_derived", "a key id not derived from its public key accepted",
         "directory.py", "        if key_id_for(self.verify_key().public_key) != self.key_id:",
         "        if False:",
         "negative/directory/key_id_not_derived"),
    _one("small_order_key_accepted", "a directory listing a public key of small order accepted",
         "signing.py", "        if is_small_order(raw):",
         "        if False:",
         "negative/directory/small_order_key"),
    _one("directory_held_key_any_time", "a held authority key trusted outside its window",
         "authority.py", "if record.key_id == key_id and record.valid_at(document.issued_at_ms):",
         "if record.key_id == key_id:",
         "negative/directory/held_authority_key_closed"),
    # §22 links and routes ---------------------------------------------------------------------
    _one("links_unknown_node_accepted", "a link to a node the directory does not list accepted",
         "links.py", "    if unknown:", "    if False:",
         "negative/links/unknown_node"),
    _one("links_hops_max_unbounded", "a hops_max above 3 accepted",
         "links.py", "    if not HOPS_MAX_MIN <= link_map.hops_max <= HOPS_MAX_LIMIT:",
         "    if not HOPS_MAX_MIN <= link_map.hops_max:",
         "negative/links/hops_max_out_of_bounds"),
    _one("links_pair_either_way", "a link written with a after b accepted",
         "links.py", "        if not self.a < self.b:", "        if self.a == self.b:",
         "negative/links/pair_reversed"),
    _one("route_tie_largest_ids", "a tie between routes broken by the largest ids",
         "routes.py", "        path.append(min(", "        path.append(max(",
         "positive/links"),
    # §22.4 routed transfers -------------------------------------------------------------------
    _one("path_repeats_accepted", "a leg whose path visits a node twice accepted",
         "messages/routed.py", "        if len(set(self.path)) != len(self.path):",
         "        if False:",
         "negative/transaction/leg_path_repeats_node"),
    _one("leg_sender_not_checked", "a leg accepted from a node that is not the path's at its hop",
         "routed.py", "    if leg.sender != sender:", "    if False:",
         "negative/transaction/leg_sender_not_at_hop"),
    _one("every_leg_lasts_the_minimum", "every leg, not only the first, held to expiry_min_ms",
         "routed.py", "(leg.hop == 0 and lifetime_ms < policy.expiry_min_ms)",
         "lifetime_ms < policy.expiry_min_ms",
         "positive/routed/leg.hop1.late"),
    _one("end_receipt_any_signer", "an end receipt signed by any one node taken as a commit",
         "routed.py", "                        signer=leg.path[-1])",
         "                        signer=None)",
         "negative/routed/end_signed_by_hub"),
    _one("end_receipt_members_unchecked", "an end receipt naming another amount or path taken "
         "as a commit",
         "routed.py", "    if any(ours[name] != theirs[name] for name in BOUND_MEMBERS):",
         "    if False:",
         "negative/routed/end_other_amount", "negative/routed/end_other_path"),
)
