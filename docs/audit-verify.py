#!/usr/bin/env python3
"""Verifies a Lunzhi audit export (docs/audit-format.md, version 1) without Lunzhi.

Usage: audit-verify.py EXPORT_DIR
       audit-verify.py check-proof PROOF.json AUDIT.pub
       audit-verify.py tiles TILES_DIR AUDIT.pub [--seq N | --decision NUMBER] [--witness-key FILE]...
       audit-verify.py merkle-check < CASES.jsonl


Reads events.jsonl, checkpoints.txt and audit.pub from the directory. Prints
"ok <events> events, seq <first>..<last>, head <hex>, <n> checkpoints" and exits 0, or prints
"FAILED at seq <k>: <what>" (or "FAILED: <what>" for a checkpoint file problem) and exits 1.
Standard library only; Ed25519 verification follows RFC 8032, section 5.1.7.

check-proof checks an inclusion proof from `lunzhi audit prove --json` (or the console's AUDIT
PROVE in JSON mode) with the public key alone: the version-2 checkpoint's signature, the event's leaf
recomputed from its contents, and the audit path to the signed Merkle root. Prints "ok event <seq>
is in the log of <size> events" and exits 0, or "FAILED: <what>" and exits 1.

tiles reads a tiles directory (C2SP tlog-tiles, written by `--tiles-dir`, or a mirror of it) with no
database: the checkpoint's signature; then, without --seq or --decision, every entry against its
level-0 tile, every higher tile against the tiles below, the Merkle root against the checkpoint's
and the chain recomputed from the entries against its chain line ("ok <n> events from the tiles,
root <hex>, chain head <hex>"); with --seq or --decision, one event's inclusion proof computed from
the tiles and checked against the signed root ("ok event <seq> is in the log of <n> events").
With --witness-key (repeatable), it also reports the checkpoint's valid cosignatures, k of n.

merkle-check reads one JSON object a line — {"leaves": [hex data…], "root": hex, "index": i,
"path": [hex…], "old": m, "old_root": hex, "consistency": [hex…]} — and checks each with this
file's own RFC 9162 tree (root from the leaves, the inclusion and consistency proofs), printing
"ok N cases" or the first case that does not hold. Lunzhi's tests use it as the independent check
of LunzhiAudit/MerkleTree.swift.
"""
import base64
import hashlib
import os
import json
import sys

# --- Ed25519 verification (RFC 8032 reference arithmetic) -----------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    A = (y1 - x1) * (y2 - x2) % P
    B = (y1 + x1) * (y2 + x2) % P
    C = t1 * 2 * D * t2 % P
    Dd = z1 * 2 * z2 % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def _mul(s, point):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


G = (
    15112221349535400772501151409588531511454012693041857206046113283949847762202,
    46316835694926478169428394003475163141307993866256225615783033603165251855960,
    1,
    15112221349535400772501151409588531511454012693041857206046113283949847762202
    * 46316835694926478169428394003475163141307993866256225615783033603165251855960 % P,
)


def ed25519_verify(public, message, signature):
    if len(signature) != 64:
        return False
    A = _decompress(public)
    R = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if A is None or R is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, G), _add(R, _mul(h, A)))


# --- C2SP signed notes and checkpoints ------------------------------------------------------
def parse_key(text, algorithm, what):
    """A verifier key, name+id+base64(algorithm byte || public key), its id SHA-256(name || "\\n" ||
    algorithm byte || public key)[:4]: (name, id, public key)."""
    name, key_id, key = text.strip().split("+", 2)
    raw = base64.b64decode(key)
    if len(raw) != 33 or raw[0] != algorithm:
        raise ValueError("not " + what)
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if expected.hex() != key_id.lower():
        raise ValueError("the id of " + what + " does not match")
    return name, expected, raw[1:]


def parse_witness_key(text):
    """A witness's cosignature/v1 verifier key (algorithm byte 0x04)."""
    return parse_key(text, 4, "a cosignature/v1 witness key")


def cosigned(note, witness):
    """Whether the note carries a valid cosignature/v1 line by the witness (C2SP tlog-cosignature)."""
    name, key_id, public = witness
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    for line in signatures.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        parts = line[2:].split(" ")
        if len(parts) != 2 or parts[0] != name:
            continue
        blob = base64.b64decode(parts[1])
        if len(blob) != 76 or blob[:4] != key_id:
            continue
        time = int.from_bytes(blob[4:12], "big")
        message = ("cosignature/v1\ntime %d\n" % time).encode() + text.encode()
        if ed25519_verify(public, message, blob[12:]):
            return True
    return False


def parse_verifier_key(text):
    """The log's Ed25519 signed-note verifier key (algorithm byte 0x01)."""
    return parse_key(text, 1, "an Ed25519 verifier key")


def split_notes(text):
    notes, current, in_signatures = [], "", False
    for line in text.split("\n"):
        if line == "":
            if not in_signatures and current:
                current += "\n"
                in_signatures = True
            elif in_signatures:
                notes.append(current)
                current, in_signatures = "", False
            continue
        if in_signatures and not line.startswith("\u2014 "):
            notes.append(current)
            current, in_signatures = "", False
        current += line + "\n"
    if current:
        notes.append(current)
    return notes


def open_checkpoint(note, key):
    name, key_id, public = key
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    for line in signatures.split("\n"):
        if not line:
            continue
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        signer, blob = line[2:].split(" ")
        blob = base64.b64decode(blob)
        if signer == name and blob[:4] == key_id:
            if not ed25519_verify(public, text.encode(), blob[4:]):
                raise ValueError("the signature does not verify")
            lines = text.rstrip("\n").split("\n")
            third = base64.b64decode(lines[2])
            if len(third) != 32 or str(int(lines[1])) != lines[1]:
                raise ValueError("not a checkpoint")
            # Version 2: the Merkle root on the third line, the chain head on a "chain" line;
            # version 1: the chain head on the third line, no root.
            chain = [l for l in lines[3:] if l.startswith("chain ")]
            if chain:
                head = base64.b64decode(chain[0][6:])
                if len(head) != 32:
                    raise ValueError("not a checkpoint: the chain line is not a hash")
                return int(lines[1]), head, third
            return int(lines[1]), third, None
    raise ValueError("not signed by " + name)


# --- the canonical encoding, version 1 ------------------------------------------------------
FIELDS = ["seq", "at_us", "principal_id", "principal_name", "mechanism_code", "member_code", "action",
          "entity", "entity_id", "before", "after", "reason"]


# --- RFC 9162 Merkle tree (written apart from the Swift code, to check it) ----------------------
def merkle_leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(hashes):
    """MTH of a list of leaf hashes: the list split at the largest power of two below its length."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle_node(merkle_root(hashes[:k]), merkle_root(hashes[k:]))


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162, section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = merkle_node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = merkle_node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, path):
    """RFC 9162, section 2.1.4.2."""
    if old == new:
        return not path and old_root == new_root
    if old < 1 or old > new:
        return False
    if old & (old - 1) == 0:
        path = [old_root] + list(path)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = merkle_node(c, fr)
            sr = merkle_node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = merkle_node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def merkle_check(lines):
    count = 0
    for number, line in enumerate(lines, 1):
        case = json.loads(line)
        leaves = [merkle_leaf(bytes.fromhex(d)) for d in case["leaves"]]
        root = merkle_root(leaves)
        unhex = lambda hashes: [bytes.fromhex(h) for h in hashes]
        if root.hex() != case["root"]:
            print("case %d: root %s, not %s" % (number, root.hex(), case["root"]))
            return 1
        index = case["index"]
        if not verify_inclusion(leaves[index], index, len(leaves), unhex(case["path"]), root):
            print("case %d: the inclusion proof of leaf %d does not verify" % (number, index))
            return 1
        old = case["old"]
        old_root = merkle_root(leaves[:old])
        if old_root.hex() != case["old_root"] or not verify_consistency(
                old, len(leaves), old_root, root, unhex(case["consistency"])):
            print("case %d: the consistency proof %d -> %d does not verify" % (number, old, len(leaves)))
            return 1
        count += 1
    print("ok %d cases" % count)
    return 0


def canonical(event):
    out = bytearray(b"lunzhi-audit-v1")
    for field in FIELDS:
        value = event[field]
        if value is None:
            out += b"-"
        else:
            data = str(value).encode("utf-8")
            out += str(len(data)).encode() + b":" + data
    return bytes(out)


def main(directory):
    with open(directory + "/events.jsonl", encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    checkpoints = []
    try:
        with open(directory + "/audit.pub", encoding="utf-8") as f:
            key = parse_verifier_key(f.read())
        with open(directory + "/checkpoints.txt", encoding="utf-8") as f:
            notes = split_notes(f.read())
        last_size = 0
        for i, note in enumerate(notes, 1):
            try:
                size, head, root = open_checkpoint(note, key)
            except ValueError as e:
                print("FAILED: checkpoint %d: %s" % (i, e))
                return 1
            if size < last_size:
                print("FAILED: checkpoint %d: the log shrinks from %d to %d events" % (i, last_size, size))
                return 1
            last_size = size
            checkpoints.append((i, size, head, root))
    except FileNotFoundError:
        pass
    by_size = {}
    roots = {}
    leaves = []
    root_sizes = {size for _, size, _, root in checkpoints if root is not None}
    previous = None
    expected = None
    for event in events:
        seq = event["seq"]
        prev_hash = bytes.fromhex(event["prev_hash"])
        if expected is not None and seq != expected:
            print("FAILED at seq %d: follows seq %d: events %d..%d are missing" % (seq, expected - 1, expected, seq - 1))
            return 1
        if previous is not None and prev_hash != previous:
            print("FAILED at seq %d: prev_hash is not the hash of seq %d" % (seq, seq - 1))
            return 1
        if seq == 1 and prev_hash != bytes(32):
            print("FAILED at seq 1: prev_hash is not 64 zeros")
            return 1
        if hashlib.sha256(prev_hash + canonical(event)).digest() != bytes.fromhex(event["hash"]):
            print("FAILED at seq %d: its contents do not match its hash (the event was altered)" % seq)
            return 1
        previous = bytes.fromhex(event["hash"])
        expected = seq + 1
        by_size[seq] = previous
        leaves.append(merkle_leaf(canonical(event)))
        if seq in root_sizes and events[0]["seq"] == 1:
            roots[seq] = merkle_root(leaves)
    first = events[0]["seq"] if events else 0
    last = events[-1]["seq"] if events else 0
    for i, size, head, root in checkpoints:
        if first <= size <= last and by_size[size] != head:
            print("FAILED at seq %d: its hash is not the head signed by checkpoint %d" % (size, i))
            return 1
        if root is not None and size in roots and roots[size] != root:
            print("FAILED at seq %d: the Merkle root of events 1..%d is not the root signed by checkpoint %d"
                  % (size, size, i))
            return 1
    print("ok %d events, seq %d..%d, head %s, %d checkpoints"
          % (len(events), first, last, (previous or bytes(32)).hex(), len(checkpoints)))
    # The members' witnesses, when the export carries their keys: k of n valid cosignatures.
    witnesses = []
    if os.path.isdir(directory + "/witnesses"):
        for file in sorted(os.listdir(directory + "/witnesses")):
            with open(directory + "/witnesses/" + file, encoding="utf-8") as f:
                witnesses.append(parse_witness_key(f.read()))
    if witnesses and checkpoints:
        quorum = min(3, len(witnesses))
        under = []
        for (i, size, _, _), note in zip(checkpoints, notes):
            signers = [w[0] for w in witnesses if cosigned(note, w)]
            if len(signers) < quorum:
                under.append(size)
        newest = [w[0] for w in witnesses if cosigned(notes[-1], w)]
        print("newest checkpoint (size %d) cosigned by %d of %d witnesses: %s"
              % (checkpoints[-1][1], len(newest), len(witnesses), ", ".join(newest) or "none"))
        print("under-witnessed checkpoints (sizes): %s" % (", ".join(map(str, under)) if under else "none"))
    return 0


def check_proof(proof_path, key_path):
    with open(proof_path, encoding="utf-8") as f:
        proof = json.load(f)
    with open(key_path, encoding="utf-8") as f:
        key = parse_verifier_key(f.read())
    try:
        size, _, root = open_checkpoint(proof["checkpoint"], key)
    except ValueError as e:
        print("FAILED: the checkpoint does not verify: %s" % e)
        return 1
    if root is None:
        print("FAILED: the checkpoint is version 1 (no Merkle root): it proves no inclusion")
        return 1
    if size != proof["tree_size"]:
        print("FAILED: the proof is for %d events, the checkpoint signs %d" % (proof["tree_size"], size))
        return 1
    event = json.loads(proof["event"])
    leaf = merkle_leaf(canonical(event))
    if event["seq"] != proof["seq"] or leaf.hex() != proof["leaf_hash"]:
        print("FAILED: the event's contents do not match the leaf hash (the event was altered)")
        return 1
    path = [bytes.fromhex(h) for h in proof["path"]]
    if not verify_inclusion(leaf, proof["seq"] - 1, size, path, root):
        print("FAILED: the audit path does not lead to the signed root")
        return 1
    print("ok event %d is in the log of %d events" % (proof["seq"], size))
    return 0


# --- tiles (C2SP tlog-tiles) --------------------------------------------------------------
TILE_WIDTH = 256


def tile_index_path(n):
    groups = ["%03d" % (n % 1000)]
    n //= 1000
    while n > 0:
        groups.insert(0, "x%03d" % (n % 1000))
        n //= 1000
    return "/".join(groups)


class TileError(Exception):
    pass


class Tiles:
    def __init__(self, directory, size):
        self.directory, self.size, self.cache = directory, size, {}

    def read(self, relative):
        try:
            with open(os.path.join(self.directory, relative), "rb") as f:
                return f.read()
        except OSError:
            raise TileError("%s is missing" % relative)

    def width(self, level, index):
        hashes = self.size >> (8 * level)
        full = hashes // TILE_WIDTH
        if index < full:
            return TILE_WIDTH
        if index == full and hashes % TILE_WIDTH:
            return hashes % TILE_WIDTH
        raise TileError("a tree of %d has no tile %d at level %d" % (self.size, index, level))

    def path(self, kind, index, width):
        return "tile/%s/%s%s" % (kind, tile_index_path(index), "" if width == TILE_WIDTH else ".p/%d" % width)

    def tile(self, level, index):
        key = (level, index)
        if key not in self.cache:
            width = self.width(level, index)
            data = self.read(self.path(str(level), index, width))
            if len(data) != 32 * width:
                raise TileError("%s is %d bytes, not %d" % (self.path(str(level), index, width), len(data), 32 * width))
            self.cache[key] = [data[i:i + 32] for i in range(0, len(data), 32)]
        return self.cache[key]

    def entries(self, index):
        width = self.width(0, index)
        data, out, i = self.read(self.path("entries", index, width)), [], 0
        while i < len(data):
            if i + 2 > len(data):
                raise TileError("an entry bundle ends inside a length")
            length, i = int.from_bytes(data[i:i + 2], "big"), i + 2
            if length == 0xFFFF:  # Lunzhi's escape for entries of 64 KiB and more (audit-format.md)
                length, i = int.from_bytes(data[i:i + 4], "big"), i + 4
            if i + length > len(data):
                raise TileError("an entry bundle ends inside an entry")
            out.append(data[i:i + length])
            i += length
        if len(out) != width:
            raise TileError("entry bundle %d holds %d entries, not %d" % (index, len(out), width))
        return out

    def node(self, level, index):
        """The hash of the aligned subtree of 2**level leaves numbered index at that level."""
        tile_level, span = level // 8, 1 << (level % 8)
        first = index * span
        hashes = self.tile(tile_level, first // TILE_WIDTH)
        start = first % TILE_WIDTH
        if start + span > len(hashes):
            raise TileError("tile %d at level %d is too short" % (first // TILE_WIDTH, tile_level))
        return merkle_root(hashes[start:start + span])

    def subtree(self, lo, hi):
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self.node(n.bit_length() - 1, lo // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return merkle_node(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def path_to_root(self, m, lo, hi):
        """PATH(m, D[lo:hi]) from the tiles, leaf to root."""
        n = hi - lo
        if n <= 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return self.path_to_root(m, lo, lo + k) + [self.subtree(lo + k, hi)]
        return self.path_to_root(m - k, lo + k, hi) + [self.subtree(lo, lo + k)]


def parse_canonical(data):
    """The fields of an event's canonical bytes (version 1), or None."""
    prefix = b"lunzhi-audit-v1"
    if not data.startswith(prefix):
        return None
    i, fields = len(prefix), []
    while i < len(data):
        if data[i:i + 1] == b"-":
            fields.append(None)
            i += 1
            continue
        colon = data.find(b":", i)
        if colon < 0 or not data[i:colon].isdigit():
            return None
        length = int(data[i:colon])
        fields.append(data[colon + 1:colon + 1 + length].decode("utf-8"))
        i = colon + 1 + length
    if len(fields) != len(FIELDS):
        return None
    return dict(zip(FIELDS, fields))


def tiles(directory, key_path, seq=None, decision=None, witness_keys=()):
    with open(key_path, encoding="utf-8") as f:
        key = parse_verifier_key(f.read())
    try:
        with open(os.path.join(directory, "checkpoint"), encoding="utf-8") as f:
            note = f.read()
        size, head, root = open_checkpoint(note, key)
    except (OSError, ValueError) as e:
        print("FAILED: the tiles' checkpoint does not verify: %s" % e)
        return 1
    if root is None:
        print("FAILED: the tiles' checkpoint is version 1 (no Merkle root)")
        return 1
    t = Tiles(directory, size)
    try:
        if seq is None and decision is None:
            chain, count = bytes(32), 0
            for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
                leaves = t.tile(0, index)
                for offset, entry in enumerate(t.entries(index)):
                    number = index * TILE_WIDTH + offset + 1
                    event = parse_canonical(entry)
                    if event is None or event["seq"] != str(number):
                        print("FAILED at seq %d: its entry is not event %d in the canonical encoding" % (number, number))
                        return 1
                    if merkle_leaf(entry) != leaves[offset]:
                        print("FAILED at seq %d: its entry does not hash to its leaf in tile 0/%d" % (number, index))
                        return 1
                    chain = hashlib.sha256(chain + entry).digest()
                    count += 1
                t.cache.pop((0, index), None)
            level = 1
            while size >> (8 * level):
                hashes = size >> (8 * level)
                for i in range(hashes):
                    below = t.tile(level - 1, i)
                    if len(below) != TILE_WIDTH or merkle_root(below) != t.tile(level, i // TILE_WIDTH)[i % TILE_WIDTH]:
                        print("FAILED: hash %d of tile level %d is not the root of tile %d at level %d"
                              % (i, level, i, level - 1))
                        return 1
                    t.cache.pop((level - 1, i), None)
                level += 1
            tree_root = t.subtree(0, size) if size else hashlib.sha256(b"").digest()
            if tree_root != root:
                print("FAILED: the tiles' Merkle root is not the root the checkpoint signs")
                return 1
            if size and chain != head:
                print("FAILED at seq %d: the chain recomputed from the entries is not the checkpoint's chain head" % size)
                return 1
            print("ok %d events from the tiles, root %s, chain head %s" % (count, root.hex(), chain.hex()))
        else:
            if decision is not None:
                seq = None
                for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
                    for offset, entry in enumerate(t.entries(index)):
                        event = parse_canonical(entry)
                        if event and event["action"] == "consultation.decide" and event["after"] \
                                and json.loads(event["after"]).get("number") == decision:
                            seq = index * TILE_WIDTH + offset + 1
                            break
                    if seq is not None:
                        break
                if seq is None:
                    print("FAILED: no decision numbered %s in the %d events of the tiles" % (decision, size))
                    return 1
            if not 1 <= seq <= size:
                print("FAILED: the log of %d events has no event %d" % (size, seq))
                return 1
            index, offset = (seq - 1) // TILE_WIDTH, (seq - 1) % TILE_WIDTH
            entry = t.entries(index)[offset]
            event = parse_canonical(entry)
            leaf = merkle_leaf(entry)
            if event is None or event["seq"] != str(seq) or t.tile(0, index)[offset] != leaf:
                print("FAILED at seq %d: its entry does not hash to its leaf" % seq)
                return 1
            path = t.path_to_root(seq - 1, 0, size)
            if not verify_inclusion(leaf, seq - 1, size, path, root):
                print("FAILED: the audit path of event %d does not lead to the signed root" % seq)
                return 1
            after = event["after"] or ""
            print("ok event %d is in the log of %d events (%s by %s, %s)"
                  % (seq, size, event["action"], event["principal_name"],
                     after if len(after) <= 200 else after[:200] + "…"))
    except TileError as e:
        print("FAILED: %s" % e)
        return 1
    if witness_keys:
        witnesses = []
        for file in witness_keys:
            with open(file, encoding="utf-8") as f:
                witnesses.append(parse_witness_key(f.read()))
        signers = [w[0] for w in witnesses if cosigned(note, w)]
        print("checkpoint (size %d) cosigned by %d of %d witnesses: %s"
              % (size, len(signers), len(witnesses), ", ".join(signers) or "none"))
    return 0


def tiles_command(args):
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    directory, key, rest = args[0], args[1], args[2:]
    seq = decision = None
    witness_keys = []
    while rest:
        if len(rest) < 2 or rest[0] not in ("--seq", "--decision", "--witness-key"):
            sys.stderr.write(__doc__)
            return 2
        if rest[0] == "--seq":
            seq = int(rest[1])
        elif rest[0] == "--decision":
            decision = rest[1]
        else:
            witness_keys.append(rest[1])
        rest = rest[2:]
    return tiles(directory, key, seq, decision, witness_keys)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "tiles":
        sys.exit(tiles_command(sys.argv[2:]))
    if len(sys.argv) == 4 and sys.argv[1] == "check-proof":
        sys.exit(check_proof(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    if sys.argv[1] == "merkle-check":
        sys.exit(merkle_check(sys.stdin))
    sys.exit(main(sys.argv[1]))
