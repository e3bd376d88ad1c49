"""The single-file verifier agrees with the package, and runs with nothing of storylog's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cryptography
import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.errors import VerificationFailed
from storylog.transparency import merkle, record
from storylog.transparency import standalone_verify as sv
from storylog.transparency.checkpoint import Checkpoint, open_checkpoint
from storylog.transparency.cosignature import Cosigner, cosign
from storylog.transparency.merkle import Tree, leaf_hash
from storylog.transparency.notes import Signer, parse_verifier_key
from storylog.transparency.proofs import ConsistencyProof, InclusionProof
from tests.transparency import vectors as v
from tests.transparency.records import story
from tests.transparency.test_merkle import corrupt_consistency, corrupt_inclusion

SCRIPT = Path(sv.__file__)
ORIGIN = "news.example/storylog"
FIXED = settings(derandomize=True, database=None, deadline=None, max_examples=100)


def verdict(check, *args) -> bool:
    """True if the check passes; False if it refuses, whichever error class says so."""
    try:
        check(*args)
    except (VerificationFailed, sv.VerifyError):
        return False
    return True


def both_inclusion(index, size, leaf, proof, root) -> tuple[bool, bool]:
    return (verdict(merkle.verify_inclusion, index, size, leaf, proof, root),
            verdict(sv.verify_inclusion, index, size, leaf, proof, root))


def both_consistency(old, new, root1, root2, proof) -> tuple[bool, bool]:
    return (verdict(merkle.verify_consistency, old, new, root1, root2, proof),
            verdict(sv.verify_consistency, old, new, root1, root2, proof))


# -- agreement on the published vectors --------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), v.INCLUSION)
def test_agrees_on_inclusion_vectors_and_their_corruptions(index, size, proof):
    root, leaf = v.ROOTS[size - 1], leaf_hash(v.LEAVES[index])
    assert sv.leaf_hash(v.LEAVES[index]) == leaf
    assert both_inclusion(index, size, leaf, proof, root) == (True, True)
    for probe in corrupt_inclusion(index, size, proof, root, leaf):
        args = (probe[0], probe[1], probe[3], probe[4], probe[2])
        assert both_inclusion(*args) == (False, False), probe


@pytest.mark.parametrize(("old", "new", "proof"), v.CONSISTENCY)
def test_agrees_on_consistency_vectors_and_their_corruptions(old, new, proof):
    root1, root2 = v.ROOTS[old - 1], v.ROOTS[new - 1]
    assert both_consistency(old, new, root1, root2, proof) == (True, True)
    for probe in corrupt_consistency(old, new, root1, root2, proof) if proof else []:
        assert both_consistency(*probe) == (False, False)


def test_agrees_on_the_rfc_hashes_and_a_real_ct_log():
    assert sv.node_hash(b"N123", b"N456") == v.NODE_N123_N456
    leaf = sv.leaf_hash(v.ARGON_LEAF_INPUT)
    sv.verify_inclusion(v.ARGON_LEAF_INDEX, v.ARGON_SIZE, leaf, v.ARGON_INCLUSION, v.ARGON_ROOT)
    sv.verify_consistency(v.ARGON_OLD_SIZE, v.ARGON_SIZE, v.ARGON_OLD_ROOT, v.ARGON_ROOT,
                          v.ARGON_CONSISTENCY)


def test_agrees_on_go_note_keys_and_signatures():
    for vkey in (v.PETER_VKEY, v.ENOCH_VKEY):
        ours = parse_verifier_key(vkey)
        assert sv.parse_vkey(vkey) == (ours.name, ours.key_id, 1, ours.public_key)
    text, signatures = sv.split_note(v.NOTE_TEXT + "\n" + v.PETER_SIG + v.ENOCH_SIG)
    assert text == v.NOTE_TEXT and [s[0] for s in signatures] == ["PeterNeumann", "EnochRoot"]
    sv._signed_by(text, signatures, v.PETER_VKEY)
    with pytest.raises(sv.VerifyError):
        sv._signed_by(text.replace("answer", "Answer"), signatures, v.PETER_VKEY)
    for bad in (v.PETER_VKEY[:-1], v.PETER_VKEY.replace("c74f20a3", "c74f20a4"),
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"):
        with pytest.raises(sv.VerifyError):
            sv.parse_vkey(bad)


# -- agreement on generated trees and notes --------------------------------------------------


@FIXED
@given(st.integers(1, 64), st.data())
def test_agrees_on_generated_trees_and_mutated_proofs(n, data):
    tree = Tree(leaf_hash(i.to_bytes(2, "big")) for i in range(n))
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    assert both_inclusion(index, size, tree.leaf(index), proof, tree.root(size)) == (True, True)
    old = data.draw(st.integers(0, size))
    consistency = tree.consistency_proof(old, size)
    args = (old, size, tree.root(old), tree.root(size), consistency)
    assert both_consistency(*args) == (True, True)
    # any mutation: the two verdicts still agree (almost always both False)
    bit = data.draw(st.integers(0, 255))
    for hashes in (proof, consistency):
        if hashes:
            at = data.draw(st.integers(0, len(hashes) - 1))
            hashes[at] = bytes([hashes[at][0] ^ (1 << bit % 8)]) + hashes[at][1:]
    wrong_index = data.draw(st.integers(0, n))
    wrong_old = data.draw(st.integers(0, n))
    a = both_inclusion(wrong_index, size, tree.leaf(index), proof, tree.root(size))
    b = both_consistency(wrong_old, size, tree.root(old), tree.root(size), consistency)
    assert a[0] == a[1] and b[0] == b[1]


def test_agrees_on_signed_checkpoints_and_cosignatures():
    log = Signer.generate(ORIGIN)
    witness = Cosigner.generate("witness.example/w1")
    note = Checkpoint(ORIGIN, 8, v.ROOTS[7]).sign(log)
    cosigned = note + cosign(note, witness)
    checkpoint, _ = open_checkpoint(cosigned, [log.verifier()])
    assert sv.verify_checkpoint(cosigned, log.verifier().vkey, (witness.verifier().vkey,)) == (
        checkpoint.origin, checkpoint.size, checkpoint.root_hash)
    with pytest.raises(sv.VerifyError, match="no signature by witness"):
        sv.verify_checkpoint(note, log.verifier().vkey, (witness.verifier().vkey,))
    for tampered in (note.replace("\n8\n", "\n9\n"), note.replace("\n\n", "\n"),
                     "\x01" + note):
        with pytest.raises(sv.VerifyError):
            sv.verify_checkpoint(tampered, log.verifier().vkey)
        assert not verdict(open_checkpoint, tampered, [log.verifier()])
    with pytest.raises(sv.VerifyError, match="not the key of the log"):
        sv.verify_checkpoint(note, Signer.generate("other.example").verifier().vkey)


# -- canonical JSON and records ----------------------------------------------------------------

EVERY_CODE_POINT = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_the_stdlib_canonical_form_is_rfc_8785_for_every_code_point():
    for start in range(0, len(EVERY_CODE_POINT), 4096):
        value = {"text": EVERY_CODE_POINT[start:start + 4096], "n": start}
        assert sv.canonical(value) == rfc8785.dumps(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=6), inner, max_size=4),
    max_leaves=20)


@FIXED
@given(json_values)
def test_the_stdlib_canonical_form_is_rfc_8785_for_record_shaped_json(value):
    assert sv.canonical(value) == rfc8785.dumps(value)


def test_agrees_on_record_leaves_and_openings():
    for published in story(versions=4):
        data = record.dumps(published)
        assert sv.record_leaf(data) == record.record_leaf(published.record)
        assert all(s.endswith("as committed") for s in sv.check_record(data))
    taken = record.withdraw(story()[1], "u2", "taken-down", "legal", "2024-11-06T09:00:00Z")
    said = "; ".join(sv.check_record(record.dumps(taken)))
    assert "u2: removed on legal grounds, 2024-11-06 (taken-down)" in said
    tampered = orjson.loads(record.dumps(story()[1]))
    tampered["openings"][0]["view"]["body"] = "changed"
    with pytest.raises(sv.VerifyError, match="u1 is not what was committed"):
        sv.check_record(orjson.dumps(tampered))
    tampered["record"]["version"] = 2.0
    with pytest.raises(sv.VerifyError):
        sv.record_leaf(orjson.dumps(tampered))
    with pytest.raises(sv.VerifyError, match="repeats a key"):
        sv.record_leaf(b'{"record": {"format": "x"}, "record": {}}')


# -- the file itself, run with nothing but the standard library and cryptography --------------


@pytest.fixture(scope="module")
def isolated(tmp_path_factory) -> list[str]:
    """A command that runs the verifier copied alone into an empty folder, on an
    interpreter started with -I -S (no site-packages, no environment, no current folder)
    whose path holds the standard library and cryptography (with cffi), nothing else."""
    root = tmp_path_factory.mktemp("standalone")
    deps = root / "deps"
    deps.mkdir()
    site = Path(cryptography.__file__).parent.parent
    for entry in site.iterdir():
        if entry.name.startswith(("cryptography", "cffi", "_cffi_backend", "pycparser")) \
                and not entry.name.endswith(".dist-info"):
            (deps / entry.name).symlink_to(entry)
    script = root / "standalone_verify.py"
    script.write_bytes(SCRIPT.read_bytes())
    boot = (f"import sys, runpy; sys.path.insert(0, {str(deps)!r}); "
            f"sys.argv = [{str(script)!r}] + sys.argv[1:]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    command = [sys.executable, "-I", "-S", "-c", boot]
    hidden = subprocess.run([sys.executable, "-I", "-S", "-c",
                             f"import sys; sys.path.insert(0, {str(deps)!r}); import storylog"],
                            capture_output=True, text=True, cwd=root)
    assert "No module named 'storylog'" in hidden.stderr
    return command


def run(command: list[str], *args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(cwd)}
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


def test_the_single_file_verifier_checks_a_site_alone(isolated, tmp_path):
    log = Signer.generate(ORIGIN)
    witness = Cosigner.generate("witness.example/w1")
    published = story(versions=3)
    tree = Tree(record.record_leaf(p.record) for p in published)
    old_note = Checkpoint(ORIGIN, 2, tree.root(2)).sign(log)
    new_note = Checkpoint(ORIGIN, 3, tree.root()).sign(log)
    new_note += cosign(new_note, witness)
    files = {
        "v2.json": record.dumps(published[1]).decode(),
        "v2.tlog-proof": InclusionProof(1, tuple(tree.inclusion_proof(1)), new_note).format(),
        "saved-checkpoint": old_note,
        "checkpoint": new_note,
        "consistency": ConsistencyProof(2, tuple(tree.consistency_proof(2)), new_note).format(),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    key, wkey = log.verifier().vkey, witness.verifier().vkey
    good = [
        ("checkpoint", "checkpoint", "--key", key, "--witness", wkey),
        ("record", "v2.json"),
        ("inclusion", "v2.json", "v2.tlog-proof", "--key", key),
        ("consistency", "saved-checkpoint", "consistency", "--key", key, "--witness", wkey),
    ]
    for args in good:
        done = run(isolated, *args, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.startswith("OK: ")
    # a rewritten past, re-signed with the newsroom's own key: caught
    forged_tree = Tree([leaf_hash(b"rewritten v1"), *tree.levels[0][1:]])
    forged_note = Checkpoint(ORIGIN, 3, forged_tree.root()).sign(log)
    (tmp_path / "forged").write_text(
        ConsistencyProof(2, tuple(forged_tree.consistency_proof(2)), forged_note).format())
    done = run(isolated, "consistency", "saved-checkpoint", "forged", "--key", key, cwd=tmp_path)
    assert done.returncode == 5 and done.stderr.startswith("FAILED: ")
    assert "past was changed" in done.stderr or "does not extend" in done.stderr
    # one changed byte in the record: caught, and said
    (tmp_path / "v2.json").write_text(files["v2.json"].replace("Update 2", "Update 9"))
    done = run(isolated, "inclusion", "v2.json", "v2.tlog-proof", "--key", key, cwd=tmp_path)
    assert done.returncode == 5 and done.stderr.startswith("FAILED: ")
    # a rewritten record whose stated hash was recomputed: not in the signed tree
    rewritten = orjson.loads(files["v2.json"])
    rewritten["record"]["headline"] = "Pokrovsk: all quiet"
    rewritten["hash"] = sv.leaf_hash(sv.canonical(rewritten["record"])).hex()
    (tmp_path / "v2.json").write_bytes(orjson.dumps(rewritten))
    done = run(isolated, "inclusion", "v2.json", "v2.tlog-proof", "--key", key, cwd=tmp_path)
    assert done.returncode == 5 and "is not in the tree" in done.stderr
    done = run(isolated, "checkpoint", "checkpoint", "--key", key, "--witness",
               Cosigner.generate("witness.example/w2").verifier().vkey, cwd=tmp_path)
    assert done.returncode == 5 and "no signature by witness.example/w2" in done.stderr
