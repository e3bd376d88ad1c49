"""The public transparency log: what lets a reader holding only the published site prove
what the newsroom published, and that it never rewrote or hid it (issue 15).

Pure functions and small classes, no database, no CLI, no site; nothing of storylog's
but ``storylog.errors`` (every failure is a ``VerificationFailed``, ``RefusedInput``,
``NotFound`` or ``Conflict``, so the CLI maps them to exit codes as usual). Design and
reasons: docs/transparency.md.

The API, module by module (import from the module; this package imports nothing):

``record``       the public record contract v1 (pydantic, schema in events/)
    publish(...) -> PublishedRecord      one version's record, every update opened
    withdraw(published, update_id, reason, grounds, at)   after a takedown or erasure:
                                         same record, same hash, opening replaced by notice
    record_leaf(record) / record_hash(record)   its leaf in the log (bytes / hex)
    dumps(published) / loads(data)       the site's file; ``loads`` checks it fully
    check(published), check_chain(records)   openings vs commitments; one story's chain
    derive_salt(secret, story, version, update_id), new_salt(), commitment(salt, view)
    schema()                             the JSON Schema (contract.py writes it)

``merkle``       RFC 6962/9162 over leaf hashes
    Tree(leaf_hashes): .append, .root(size), .inclusion_proof(index, size),
                       .consistency_proof(old_size, size)
    verify_inclusion(index, size, leaf, proof, root)
    verify_consistency(old_size, size, old_root, new_root, proof)   raise ProofFailed

``notes``        C2SP signed notes, Ed25519; Go sumdb/note key strings
    Signer.generate(name) / Signer.from_skey(skey): .skey, .verifier().vkey
    parse_verifier_key(vkey), sign(text, *signers), open_note(note, verifiers), parse(note)

``checkpoint``   C2SP tlog-checkpoint
    Checkpoint(origin, size, root_hash).body() / .sign(signer); Checkpoint.parse(body)
    open_checkpoint(note, log_keys, origin=None) -> (Checkpoint, Note)

``proofs``       files outside tools read
    InclusionProof(index, hashes, checkpoint_note): .format(), .parse(), .verify(leaf, keys)
                 (c2sp.org/tlog-proof, one per record)
    ConsistencyProof(old_size, hashes, checkpoint_note): .format(), .parse(),
                 .verify(saved_checkpoint_note, keys)   (a tlog-witness add-checkpoint body)

``cosignature``  C2SP tlog-cosignature (type 0x04) and tlog-witness
    Cosigner.generate(name), cosign(note, cosigner), verify_cosignatures(note, witness_keys)
    Witness(cosigner, {origin: [log keys]}, state=None, state_path=None):
        .add_checkpoint(note, old_size, proof) -> cosignature line(s); .submit(body);
        .state_json(); refuses: UnknownLog, BadRequest, OldSizeMismatch (.size),
        SplitView, Inconsistent (each with the spec's .http_status)

``standalone_verify``  the single file shipped with the site: stdlib + cryptography only
"""
