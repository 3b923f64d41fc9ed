"""`registry log ...` and `registry witness ...`: the verifiable log from the command line.

The `verify-*` commands work offline on files: they read no database and
trust nothing but the verifier keys given. Exit 0 valid, 1 not (with the
check that failed).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import click

from registry.audit import keys, notes, offline
from registry.audit import witness as witnessing
from registry.config import ConfigurationError, Settings
from registry.domain import nik as niks
from registry.entrypoints.opening import opened


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as e:
        raise click.ClickException(str(e)) from None


def _vkey(text: str, option: str = "--vkey") -> notes.VerifierKey:
    """A verifier key given as itself, or as the path of a file holding it."""
    path = Path(text)
    if "+" not in text and path.is_file():
        text = path.read_text(encoding="utf-8").strip()
    try:
        return notes.VerifierKey.parse(text)
    except notes.NoteError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


def _document(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        click.echo(f"INVALID: format: {file} is not a JSON document ({e})", err=True)
        sys.exit(1)


@click.group()
def log() -> None:
    """The verifiable log: signing key, checkpoints, offline verification."""


@log.command()
def keygen() -> None:
    """Make the log's Ed25519 signing key (REGISTRY_SIGNING_KEY_FILE), mode 0600."""
    settings = _settings()
    path = settings.signing_key_path
    if not keys.make_signing_key(path):
        raise click.ClickException(f"{path} already holds a signing key; checkpoints are "
                                   "signed with it (move it away first to make another)")
    click.echo(f"made {path}; its verifier key:", err=True)
    click.echo(notes.Signer(settings.log_origin, keys.signing_key(path, create=False)).vkey)


@log.command()
def vkey() -> None:
    """Print the log's verifier key, for witnesses and auditors to check checkpoints with."""
    settings = _settings()
    try:
        key = keys.signing_key(settings.signing_key_path, create=False)
    except keys.KeyFileError as e:
        raise click.ClickException(str(e)) from None
    click.echo(notes.Signer(settings.log_origin, key).vkey)


@log.command()
def checkpoint() -> None:
    """Print the current signed checkpoint, with the cosignatures held for it."""
    with opened() as registry:
        try:
            click.echo(registry.log.served(), nl=False)
        except keys.KeyFileError as e:
            raise click.ClickException(str(e)) from None


@log.command("verify-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--vkey", "vkey_text", required=True, help="The log's verifier key (or a file).")
@click.option("--checkpoint", "held", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint you kept earlier (a witness's state file): the event must be "
                   "in that tree too.")
def verify_proof(file: Path, vkey_text: str, held: Path | None) -> None:
    """Check a `/log/proof` answer offline. Exit 0 valid, 1 not."""
    log_key = _vkey(vkey_text)
    try:
        found = offline.verify_proof(_document(file), log_key,
                                     held.read_text(encoding="utf-8") if held else None)
    except offline.Invalid as e:
        click.echo(f"INVALID: {e}", err=True)
        sys.exit(1)
    click.echo(f"VALID: the {found.type} event at position {found.position} is leaf "
               f"{found.leaf_index} of the tree of {found.tree_size} leaves signed by "
               f"{log_key.name}")


@log.command("verify-certificate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--vkey", "vkey_text", required=True, help="The log's verifier key (or a file).")
@click.option("--witness-vkey", "witness_texts", multiple=True, metavar="W",
              help="A witness's verifier key (or a file); repeat for several.")
@click.option("--quorum", type=click.IntRange(0), default=None,
              help="Witnesses that must have cosigned (default: every one given).")
def verify_certificate(file: Path, vkey_text: str, witness_texts: tuple[str, ...],
                       quorum: int | None) -> None:
    """Check a coverage certificate offline and compute its answer again. Exit 0 / 1."""
    log_key = _vkey(vkey_text)
    witnesses = [_vkey(w, "--witness-vkey") for w in witness_texts]
    needed = len(witnesses) if quorum is None else quorum
    if needed > len(witnesses):
        raise click.BadParameter(f"{needed} is more than the {len(witnesses)} witness keys "
                                 "given", param_hint="--quorum")
    try:
        found = offline.verify_certificate(_document(file), log_key, witnesses, needed)
    except offline.Invalid as e:
        click.echo(f"INVALID: {e}", err=True)
        sys.exit(1)
    said = (f"covered on {found.on} for {', '.join(found.answer['programs'])}"
            if found.answer["covered"] else f"not covered on {found.on}")
    cosigned = f", cosigned by {', '.join(found.witnesses)}" if found.witnesses else ""
    click.echo(f"VALID: worker {niks.mask(found.nik)} was {said} "
               f"({found.events} events in the tree of {found.tree_size} leaves{cosigned})")


@click.group(invoke_without_command=True)
@click.option("--url", help="The registry's address, e.g. https://registry.example.go.id")
@click.option("--token", envvar="REGISTRY_WITNESS_TOKEN", help="A witness token "
              "(or REGISTRY_WITNESS_TOKEN).")
@click.option("--vkey", "vkey_text", help="The log's verifier key (or a file).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="This witness's own key file, made on first use.")
@click.option("--name", help="This witness's name, when its key file is made "
                             "(default: witness.<host name>).")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path),
              help="Where this witness keeps the last checkpoint it cosigned.")
@click.pass_context
def witness(ctx: click.Context, url: str | None, token: str | None, vkey_text: str | None,
            key_file: Path | None, name: str | None, state: Path | None) -> None:
    """One witness round: fetch the checkpoint, check it extends the last one kept,
    cosign it and post the cosignature. Exit 0 and the size cosigned, or exit 1
    (INCONSISTENT when the log rewrote its past)."""
    if ctx.invoked_subcommand is not None:
        return
    given = {"--url": url, "--token": token, "--vkey": vkey_text, "--key": key_file,
             "--state": state}
    missing = [flag for flag, value in given.items() if not value]
    if missing:
        raise click.UsageError(f"a witness round needs {', '.join(missing)}")
    assert url and token and vkey_text and key_file and state
    signer = _witness_signer(key_file, name)
    try:
        found = witnessing.run_round(witnessing.HttpTransport(url, token), _vkey(vkey_text),
                                     signer, state)
    except (witnessing.TransportError, offline.Invalid, OSError) as e:
        click.echo(f"FAILED: {e}", err=True)
        sys.exit(1)
    click.echo(found.message, err=not found.ok)
    if not found.ok:
        sys.exit(1)


def _witness_signer(key_file: Path, name: str | None) -> notes.Signer:
    default = None if key_file.exists() else f"witness.{socket.gethostname()}"
    try:
        found, key = keys.witness_key(key_file, name or default)
    except keys.KeyFileError as e:
        raise click.ClickException(str(e)) from None
    return notes.Signer(found, key, notes.COSIGNATURE_V1)


@witness.command("vkey")
@click.option("--key", "key_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="This witness's key file, made now if there is none.")
@click.option("--name", help="The witness's name, when the key file is made "
                             "(default: witness.<host name>).")
def witness_vkey(key_file: Path, name: str | None) -> None:
    """Print this witness's verifier key (for `registry witness add-key` at the registry)."""
    click.echo(_witness_signer(key_file, name).vkey)


@witness.command("add-key")
@click.argument("vkey_text", metavar="VKEY")
def witness_add_key(vkey_text: str) -> None:
    """Trust a witness: its cosignatures (verified against VKEY) are kept and served."""
    with opened() as registry:
        try:
            found, new = registry.log.add_witness_key(vkey_text)
        except notes.NoteError as e:
            raise click.BadParameter(str(e), param_hint="VKEY") from None
    click.echo(f"{'added' if new else 'already had'} witness {found.name} "
               f"(key id {found.key_id.hex()})")


def say_tree(tree: Any) -> None:
    """`registry verify`'s line about the Merkle tree and the newest checkpoint."""
    if tree is None:
        return
    if not tree.ok:
        click.echo(f"TREE: {tree.problem}", err=True)
        return
    kept = (f"; the newest checkpoint ({tree.checkpoint_size} leaves) is the tree's"
            if tree.checkpoint_size is not None else "")
    click.echo(f"tree: {tree.leaves} leaves match the events; root {tree.root}{kept}")
