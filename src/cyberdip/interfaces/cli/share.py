"""``cyberdip share ...`` and ``cyberdip sync ...``: the sharing hub's administration and federation."""

from __future__ import annotations

from pathlib import Path

import typer

from cyberdip.interfaces.cli.common import (
    FormatOption,
    Grid,
    JsonOption,
    console,
    emit,
    errors,
    output_format,
    print_json,
    workbench,
)

share_app = typer.Typer(help="Sharing hub: partners, keys, collections, grants, audit.", no_args_is_help=True)
partner_app = typer.Typer(help="Partners: agencies of states that share with this hub.", no_args_is_help=True)
key_app = typer.Typer(help="API keys (shown once, stored only as a digest).", no_args_is_help=True)
collection_app = typer.Typer(help="Collections of shared objects.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cert_app = typer.Typer(help="Client certificates as partner identities (behind a TLS-terminating proxy).",
                       no_args_is_help=True)
share_app.add_typer(partner_app, name="partner")
share_app.add_typer(key_app, name="key")
share_app.add_typer(cert_app, name="cert")
operator_app = typer.Typer(help="Operators: people who may open the sharing pages of the web workbench.",
                           no_args_is_help=True)
share_app.add_typer(operator_app, name="operator")


@operator_app.command("add")
def operator_add(name: str = typer.Argument(..., help="The operator's name, e.g. 'A. Analyst (CERT-Bund)'."),
                 as_json: bool = JsonOption) -> None:
    """Create an operator; their sign-in token is printed once and only its digest is kept."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        token = sharing.add_operator(connection, name)
    print_json({"operator": name, "token": token}) if as_json else console.print(
        f"Sign-in token for {name} (store it now; it cannot be shown again):\n{token}")


@operator_app.command("revoke")
def operator_revoke(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Revoke an operator: their token and any open workbench session stop working at once."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        sharing.revoke_operator(connection, name)
    print_json({"revoked": name}) if as_json else console.print(f"Revoked operator {name}")
share_app.add_typer(collection_app, name="collection")
share_app.add_typer(audit_app, name="audit")


@partner_app.command("add")
def partner_add(agency: str = typer.Argument(..., help="The partner's agency (id or name), e.g. CERT-In."),
                name: str | None = typer.Option(None, help="Display name (default: the agency's name)."),
                as_json: bool = JsonOption) -> None:
    """Register an agency of a state as a sharing partner."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        partner = sharing.add_partner(connection, agency, name)
    print_json(partner) if as_json else console.print(f"Added partner {partner['id']} ({partner['name']})")


@partner_app.command("list")
def partner_list(fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """List partners."""
    from cyberdip.services import sharing

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = sharing.list_partners(connection)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["partner", "name", "agency", "state"])
    for row in rows:
        grid.add(row["id"], row["name"], row["agency_id"], row["state_id"] or "")
    emit(fmt, grid)


@key_app.command("issue")
def key_issue(partner: str = typer.Argument(..., help="Partner id, e.g. partner:ind-cert-in."),
              as_json: bool = JsonOption) -> None:
    """Issue an API key; it is printed once and only its digest is kept."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        key = sharing.issue_key(connection, partner)
    print_json({"partner": partner, "key": key}) if as_json else console.print(
        f"Key for {partner} (store it now; it cannot be shown again):\n{key}")


@key_app.command("revoke")
def key_revoke(key_id: str = typer.Argument(..., help="The key's id (the part after 'cdk_')."),
               as_json: bool = JsonOption) -> None:
    """Revoke an API key."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        sharing.revoke_key(connection, key_id)
    print_json({"revoked": key_id}) if as_json else console.print(f"Revoked {key_id}")


@cert_app.command("add")
def cert_add(partner: str = typer.Argument(..., help="Partner id, e.g. partner:ind-cert-in."),
             certificate: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                help="The partner's client certificate (PEM)."),
             as_json: bool = JsonOption) -> None:
    """Register a client certificate as the partner's identity (its SHA-256 fingerprint is kept)."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        fingerprint = sharing.add_certificate(connection, partner, certificate.read_text(encoding="utf-8"),
                                              certificate.name)
    print_json({"partner": partner, "fingerprint": fingerprint}) if as_json else console.print(
        f"Certificate {fingerprint} now identifies {partner}")


@cert_app.command("list")
def cert_list(fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """List registered client certificates."""
    from cyberdip.services import sharing

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = sharing.list_certificates(connection)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["fingerprint (SHA-256)", "partner", "label", "revoked"])
    for row in rows:
        grid.add(row["fingerprint"], row["partner_id"], row["label"], str(row["revoked_at"] or ""))
    emit(fmt, grid)


@cert_app.command("revoke")
def cert_revoke(fingerprint: str = typer.Argument(..., help="The certificate's SHA-256 fingerprint."),
                as_json: bool = JsonOption) -> None:
    """Revoke a client certificate."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        sharing.revoke_certificate(connection, fingerprint)
    print_json({"revoked": fingerprint}) if as_json else console.print(f"Revoked {fingerprint}")


@collection_app.command("add")
def collection_add(alias: str = typer.Argument(..., help="Short alias, e.g. cert-exchange."),
                   title: str = typer.Option(..., help="Title shown to partners."),
                   description: str | None = typer.Option(None), as_json: bool = JsonOption) -> None:
    """Create a collection."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        collection = sharing.add_collection(connection, alias, title, description)
    print_json(collection) if as_json else console.print(f"Added collection {collection['alias']} "
                                                          f"({collection['id']})")


@collection_app.command("list")
def collection_list(fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """List collections."""
    from cyberdip.services import sharing

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = sharing.list_collections(connection)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["alias", "id", "title"])
    for row in rows:
        grid.add(row["alias"], row["id"], row["title"])
    emit(fmt, grid)


@share_app.command("grant")
def share_grant(
    partner: str = typer.Argument(..., help="Partner id."),
    collection: str = typer.Argument(..., help="Collection alias or id."),
    read: bool = typer.Option(True, "--read/--no-read"),
    write: bool = typer.Option(False, "--write/--no-write"),
    tlp: str = typer.Option("green", help="Highest TLP level the partner may receive: clear, green, amber, "
                            "amber+strict."),
    as_json: bool = JsonOption,
) -> None:
    """Grant a partner access to a collection by hand."""
    from cyberdip.model.sharing import TLP
    from cyberdip.services import sharing

    try:
        level = TLP(tlp)
    except ValueError:
        raise typer.BadParameter("choose clear, green, amber or amber+strict", param_hint="--tlp") from None
    with workbench(as_json) as bench, bench.writing() as connection:
        row = sharing.grant(connection, partner, collection, read=read, write=write, max_tlp=level)
    print_json(row) if as_json else console.print(f"Granted {partner}: read={read} write={write} up to "
                                                   f"TLP:{level.value.upper()}")


@share_app.command("derive")
def share_derive(as_json: bool = JsonOption) -> None:
    """Derive grants from the instruments in force that carry a sharing clause (and end stale ones)."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.writing() as connection:
        result = sharing.derive_grants(connection)
    if as_json:
        print_json(result)
        return
    console.print(f"{len(result.granted)} grants in force from instruments; {len(result.ended)} ended")
    for row in result.granted:
        console.print(f"  {row.partner_id} → {row.collection_id}: read={row.can_read} write={row.can_write} "
                      f"TLP:{row.max_tlp.upper()} ({row.basis})", highlight=False)


@share_app.command("explain")
def share_explain(partner: str = typer.Argument(...), collection: str = typer.Argument(...),
                  as_json: bool = JsonOption) -> None:
    """Why a partner can or cannot see or write a collection."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.reading() as connection:
        result = sharing.explain(connection, partner, collection)
    if as_json:
        print_json(result)
        return
    verdict = "can read" if result.can_read else "cannot read"
    console.print(f"{result.partner} {verdict} '{result.collection}'"
                  + (f" up to TLP:{result.max_tlp.upper()}" if result.max_tlp else "")
                  + (" and can write" if result.can_write else ""))
    for reason in result.reasons:
        console.print(f"  - {reason}", highlight=False)


object_app = typer.Typer(help="Objects in the hub's collections, as its operators see them.", no_args_is_help=True)
share_app.add_typer(object_app, name="object")


@share_app.command("publish")
def share_publish(collection: str = typer.Argument(..., help="Collection alias or id."),
                  path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A STIX 2.1 bundle, or a JSON "
                                              "list of STIX objects."),
                  as_json: bool = JsonOption) -> None:
    """Share objects as the hub's own operators: each is checked against the STIX 2.1 rules, and their
    statement marking-definitions then vouch for every partner's objects that cite them."""
    from cyberdip.model.errors import DataError, Problem
    from cyberdip.services import taxii

    with workbench(as_json) as bench:
        try:
            document = taxii.parse_json(path.read_bytes())
        except DataError as exc:
            raise DataError([Problem(str(path), p.reason) for p in exc.problems]) from None
        objects = document.get("objects") if isinstance(document, dict) else document
        if not isinstance(objects, list):
            raise DataError([Problem(str(path), "expected a STIX bundle or a JSON list of STIX objects")])
        with bench.writing() as connection:
            result = taxii.publish(connection, collection, objects)
    if as_json:
        print_json(result)
        return
    console.print(f"Published {result['success_count']} object(s) in '{result['collection']}', "
                  f"refused {result['failure_count']}")
    for failure in result["failures"]:
        console.print(f"  - {failure['id']}: {failure['message']}", highlight=False)
    if result["failure_count"]:
        raise typer.Exit(1)


@object_app.command("delete")
def object_delete(collection: str = typer.Argument(..., help="Collection alias or id."),
                  object_id: str = typer.Argument(..., help="The STIX id, e.g. indicator--…"),
                  version: list[str] = typer.Option([], "--version", help="Only this version (its modified "
                                                    "timestamp); repeat for several. Default: every version."),
                  as_json: bool = JsonOption) -> None:
    """Remove an object whoever shared it (partners may delete only their own); audited."""
    from cyberdip.model.sharing import version_key
    from cyberdip.services import taxii

    versions = tuple(version_key(v) for v in version) or ("all",)
    with workbench(as_json) as bench, bench.writing() as connection:
        removed = taxii.remove(connection, collection, object_id, versions)
    print_json({"object": object_id, "removed": removed}) if as_json else console.print(
        f"Removed {removed} version(s) of {object_id}")


@audit_app.command("verify")
def audit_verify(as_json: bool = JsonOption) -> None:
    """Check the audit chain: any altered, inserted or deleted entry is found."""
    from cyberdip.services import sharing

    with workbench(as_json) as bench, bench.reading() as connection:
        result = sharing.verify_audit(connection)
    if as_json:
        print_json(result)
    elif result.intact:
        console.print(f"Audit log intact: {result.entries} entries")
    else:
        errors.print(f"[bold red]Audit log broken at entry {result.first_broken}:[/] {result.reason}")
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(partner: str | None = typer.Option(None, help="Only this partner's entries."),
               fmt: str | None = FormatOption, as_json: bool = JsonOption) -> None:
    """What was done, and what was given to whom."""
    from cyberdip.services import sharing

    fmt = output_format(fmt, as_json)
    with workbench(fmt == "json") as bench, bench.reading() as connection:
        rows = sharing.audit_log(connection, partner)
    if fmt == "json":
        print_json(rows)
        return
    grid = Grid(["seq", "at", "partner", "collection", "action", "objects", "outcome"])
    for row in rows:
        grid.add(str(row["seq"]), str(row["at"])[:19], row["partner_id"] or "", row["collection_id"] or "",
                      row["action"], str(len(row["object_ids"])), row["outcome"])
    emit(fmt, grid)


sync_app = typer.Typer(help="Federation: pull partner hubs' TAXII collections.", no_args_is_help=True)


@sync_app.command("pull")
def sync_pull(
    source: str = typer.Option(..., "--from", help="The partner hub's TAXII API root, e.g. https://hub/taxii2/api/"),
    collection: str = typer.Option(..., help="The remote collection's id."),
    key: str = typer.Option(..., help="The API key the partner hub issued to us."),
    into: str = typer.Option(..., help="Our collection (alias or id) to store the objects in."),
    partner: str = typer.Option(..., "--as", help="Our partner record for that hub: pulled objects are "
                                "attributed to it."),
    page_size: int = typer.Option(1000, min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Pull a partner hub's collection incrementally (resumable; nothing lost or duplicated)."""
    from cyberdip.services import sync

    with workbench(as_json) as bench:
        result = sync.pull(bench, base_url=source, collection=collection, key=key, into=into, partner=partner,
                           page_size=page_size)
    if as_json:
        print_json(result)
    else:
        console.print(f"Pulled {result.received} objects in {result.pages} page(s) from {result.remote}: "
                      f"{result.stored} new; resume point {result.added_after}")


