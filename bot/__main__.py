"""The ``gridbot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.errors import DomainError
from storage.db import Database, open_database
from storage.migrate import migrate

__all__ = ["main"]

LOG = logging.getLogger("gridbot")


class CliError(Exception):
    """A problem to report in one line, with exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridbot", description="Gridbot: neighbourhood grid service on Telegram."
    )
    parser.add_argument(
        "--config", metavar="PATH", help="TOML config file (default: $GRIDBOT_CONFIG)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--webhook-url", metavar="URL", help="public URL Telegram posts to")
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8443",
        help="where the webhook server listens (default 127.0.0.1:8443)",
    )
    run.add_argument(
        "--secret-token",
        metavar="S",
        help="secret Telegram must send in X-Telegram-Bot-Api-Secret-Token",
    )

    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_sub.add_parser("migrate", help="apply pending migrations")
    copy = db_sub.add_parser(
        "copy", help="copy every row into another (empty) store, verified by row counts"
    )
    copy.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="the store to copy (default: the configured one)",
    )
    copy.add_argument(
        "--to", dest="target", metavar="URL", required=True, help="postgresql://... or sqlite:PATH"
    )

    org = sub.add_parser("org", help="org tree commands")
    org_sub = org.add_subparsers(dest="org_command", required=True, metavar="ORG_COMMAND")
    org_import = org_sub.add_parser("import", help="import an org tree (TOML or CSV)")
    org_import.add_argument("file", type=Path)
    org_sub.add_parser("show", help="print the org tree")
    org_qr = org_sub.add_parser("qr", help="write a QR poster for a compound or a station")
    org_qr.add_argument("code", help="compound code, or station code (opens its page)")
    org_qr.add_argument("--out", type=Path, required=True, help="PNG file to write")

    sub.add_parser("outbox", help="show outbox counts")

    bench = sub.add_parser("bench", help="measure throughput, latency, sweeps, memory")
    bench.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, correctness checks only (under a minute)",
    )
    bench.add_argument(
        "--scenario",
        action="append",
        choices=("intake", "accept-storm", "sweep", "broadcast", "memory", "failover"),
        help="run only these (repeatable; default: all)",
    )
    bench.add_argument("--residents", type=int, default=500)
    bench.add_argument("--latency-ms", type=float, default=50.0)
    bench.add_argument(
        "--out",
        type=Path,
        help="where the JSON results go (default: bench/results, bench/results/postgresql with"
        " --store)",
    )
    bench.add_argument(
        "--store",
        metavar="URL",
        help="run on this PostgreSQL server (postgresql://USER@HOST/DB, a database the bench"
        " may create databases from); default: SQLite files in a temporary folder",
    )

    sandbox = sub.add_parser("sandbox", help="try the bot without Telegram, in a web page")
    sandbox.add_argument("--port", type=int, default=8080, help="web page port (default 8080)")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")

    admin = sub.add_parser("admin", help="grant or revoke administrators")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ADMIN_COMMAND")
    for name in ("grant", "revoke"):
        cmd = admin_sub.add_parser(name, help=f"{name} the admin role at a unit")
        cmd.add_argument("telegram_id", type=int)
        cmd.add_argument("--unit", required=True, help="org unit code")

    team = sub.add_parser("team", help="appoint or dismiss the leaders of service teams")
    team_sub = team.add_subparsers(dest="team_command", required=True, metavar="TEAM_COMMAND")
    for name, text in (("lead", "make someone a team's leader"), ("unlead", "take it back")):
        cmd = team_sub.add_parser(name, help=text)
        cmd.add_argument("telegram_id", type=int)
        cmd.add_argument("--team", required=True, help="team code, e.g. LEGAL")
        cmd.add_argument("--unit", required=True, help="where they lead it, e.g. DZ")

    api = sub.add_parser("api", help="serve the Open311 GeoReport v2 API, or manage its keys")
    api.add_argument(
        "--listen", metavar="HOST:PORT", help="where to listen (default: [api] listen)"
    )
    api_sub = api.add_subparsers(dest="api_command", metavar="API_COMMAND")
    key = api_sub.add_parser("key", help="API keys of the city's systems")
    key_sub = key.add_subparsers(dest="key_command", required=True, metavar="KEY_COMMAND")
    key_create = key_sub.add_parser("create", help="a new key (shown once)")
    key_create.add_argument(
        "--unit", action="append", required=True, help="unit code (repeatable)"
    )
    key_create.add_argument(
        "--name", required=True, help='the client system, e.g. "12345 hotline"'
    )
    key_sub.add_parser("list", help="the keys, their units and last use")
    key_revoke = key_sub.add_parser("revoke", help="revoke a key")
    key_revoke.add_argument("prefix", help="the key's prefix as listed (or the whole key)")

    hotspots = sub.add_parser(
        "hotspots", help="the topics of the month and pre-emptive tasks the job would propose"
    )
    hotspots.add_argument("--unit", required=True, help="unit code (its communities)")
    hotspots.add_argument("--month", required=True, help="YYYY-MM: the month of the topics")

    households = sub.add_parser("households", help="household registries and binding codes")
    households_sub = households.add_subparsers(
        dest="households_command", required=True, metavar="HOUSEHOLDS_COMMAND"
    )
    registry = households_sub.add_parser(
        "import", help="import a compound's registry (CSV: building,unit,room,area)"
    )
    registry.add_argument("file", type=Path)
    registry.add_argument("--compound", required=True, help="compound code")
    codes = households_sub.add_parser(
        "codes", help="new one-time binding codes, as a PDF of slips to hand out"
    )
    codes.add_argument("--compound", required=True, help="compound code")
    codes.add_argument("--out", type=Path, required=True, help="PDF file to write")
    which = codes.add_mutually_exclusive_group()
    which.add_argument(
        "--all", action="store_true", help="every household (default: those not bound yet)"
    )
    which.add_argument(
        "--household", action="append", metavar="B-U-R", help="only these (repeatable)"
    )

    export = sub.add_parser("export", help="write the requests and statistics of a unit to XLSX")
    export.add_argument("--unit", required=True, help="org unit code")
    export.add_argument("--from", dest="first", type=_date, required=True, help="YYYY-MM-DD")
    export.add_argument("--to", dest="last", type=_date, required=True, help="YYYY-MM-DD")
    export.add_argument("--out", type=Path, required=True, help="XLSX file to write")
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


async def _with_db(
    config: Config, work: Callable[[Database], Awaitable[int]], *, migrate_first: bool = True
) -> int:
    db = open_database(config.storage.store_url)
    async with db:
        if migrate_first:
            await migrate(db)
        return await work(db)


def _cmd_run(config: Config, args: argparse.Namespace) -> int:
    from bot.app import build_application, webhook_options
    from bot.runner import RunOptions, serve

    options = RunOptions()
    if args.webhook_url:
        try:
            parsed = webhook_options(args.webhook_url, args.listen, args.secret_token)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        options = RunOptions(
            webhook_url=parsed["webhook_url"],
            listen_host=parsed["listen"],
            listen_port=parsed["port"],
            url_path=parsed["url_path"],
            secret_token=parsed["secret_token"],
        )
    return asyncio.run(serve(config, options, lambda: build_application(config)))


def _cmd_db(config: Config, args: argparse.Namespace) -> int:
    if args.db_command == "migrate":
        return asyncio.run(_with_db(config, _cmd_db_migrate, migrate_first=False))
    return asyncio.run(_cmd_db_copy(args.source or config.storage.store_url, args.target))


async def _cmd_db_copy(source_url: str, target_url: str) -> int:
    """Copy a store (stop the bot first); print the verified counts."""
    from storage.copy import CopyError, copy_store
    from storage.db import StoreUrl

    try:
        source, target = StoreUrl(source_url), StoreUrl(target_url)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if source.url == target.url:
        raise CliError("--from and --to are the same store")
    if source.engine == "sqlite" and source.path is not None and not source.path.exists():
        raise CliError(f"no database at {source.path}")
    print(f"copying {source.redacted()} to {target.redacted()} ...")
    try:
        async with open_database(source) as src, open_database(target) as dst:
            counts = await copy_store(src, dst)
    except CopyError as exc:
        raise CliError(f"copy refused: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot reach a store: {exc}") from None
    width = max(len(c.table) for c in counts)
    for c in counts:
        verdict = "ok" if c.equal else "DIFFERENT"
        print(f"  {c.table:<{width}}  {c.source:>9}  {c.target:>9}  {verdict}")
    unequal = [c.table for c in counts if not c.equal]
    if unequal:
        print(f"counts differ in {', '.join(unequal)}", file=sys.stderr)
        return 1
    rows = sum(c.source for c in counts)
    print(f"{rows} rows in {len(counts)} tables copied; every count equal")
    return 0


async def _cmd_db_migrate(db: Database) -> int:
    applied = await migrate(db)
    print(f"{len(applied)} migrations applied" if applied else "database is up to date")
    return 0


def _cmd_org(config: Config, args: argparse.Namespace) -> int:
    from bot.services.orgimport import OrgImporter, OrgImportError, render_tree

    async def do_import(db: Database) -> int:
        try:
            report = await OrgImporter(db, SystemClock()).import_file(args.file)
        except OrgImportError as exc:
            raise CliError(f"import failed: {exc}") from None
        print(report.summary())
        return 0

    async def show(db: Database) -> int:
        from bot.services.partyimport import party_notes

        async with db.read() as tx:
            units = await tx.org.all_units()
            stations = await tx.org.stations()
            teams = await tx.org.teams()
            categories = await tx.requests.categories(active_only=False)
            notes = await party_notes(tx)
            departments = await tx.departments.all(active_only=False)
            pairings = await tx.departments.pairings()
        if not units:
            print("the org tree is empty: run `gridbot org import FILE`")
            return 0
        print(render_tree(units, stations, teams, categories, departments, pairings, notes))
        return 0

    async def qr(db: Database) -> int:
        from bot.i18n import I18n
        from bot.models import Level
        from bot.poster import PosterError, make_poster, make_station_poster

        async with db.read() as tx:
            unit = await tx.org.get_by_code(args.code)
            station = await tx.org.station_by_code(args.code)
            if station is not None:
                area = await tx.org.get(station.unit_id)
            elif unit is None or unit.level is not Level.COMPOUND:
                raise CliError(f"no compound or station with code {args.code!r}")
            parent = await tx.org.get(unit.parent_id) if unit and unit.parent_id else None
        t = I18n(config.locale.default_language).get(config.locale.default_language)
        try:
            if station is not None:
                out = make_station_poster(
                    station=station,
                    area=area,
                    bot_username=config.bot.username,
                    out=args.out,
                    t=t,
                )
            else:
                assert unit is not None
                out = make_poster(
                    compound=unit,
                    community=parent,
                    bot_username=config.bot.username,
                    out=args.out,
                    t=t,
                )
        except PosterError as exc:
            raise CliError(str(exc)) from None
        print(f"poster written to {out}")
        return 0

    work = {"import": do_import, "show": show, "qr": qr}[args.org_command]
    return asyncio.run(_with_db(config, work))


async def _cmd_outbox(db: Database) -> int:
    async with db.read() as tx:
        counts = await tx.outbox.counts()
    print(f"pending:       {counts.pending}")
    print(f"in flight:     {counts.inflight}")
    print(f"sent:          {counts.sent}")
    print(f"failed:        {counts.failed}")
    print(f"undeliverable: {counts.undeliverable}")
    print(f"cancelled:     {counts.cancelled}")
    print(f"unknown:       {counts.unknown}  (timed out or cut off: may have arrived)")
    if counts.oldest_pending is not None:
        age = SystemClock().now() - counts.oldest_pending
        print(f"oldest pending: {int(age.total_seconds())} s ago")
    return 0


def _cmd_admin(config: Config, args: argparse.Namespace) -> int:
    from bot.i18n import I18n
    from bot.outbox import Notifier
    from bot.services.people import PeopleService

    async def work(db: Database) -> int:
        clock = SystemClock()
        people = PeopleService(db, clock, Notifier(clock), I18n(config.locale.default_language))
        try:
            if args.admin_command == "grant":
                changed = await people.grant_admin(args.telegram_id, args.unit)
                print("granted" if changed else "already an admin there")
            else:
                changed = await people.revoke_admin(args.telegram_id, args.unit)
                print("revoked" if changed else "was not an admin there")
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        return 0

    return asyncio.run(_with_db(config, work))


def _cmd_households(config: Config, args: argparse.Namespace) -> int:
    from bot.codesheet import write_code_sheet
    from bot.i18n import I18n
    from bot.models import OrgUnit
    from bot.outbox import Notifier
    from bot.poster import PosterError
    from bot.registry import RegistryError
    from bot.services.households import HouseholdService, IssuedCode
    from bot.services.people import PeopleService

    async def work(db: Database) -> int:
        clock = SystemClock()
        i18n = I18n(config.locale.default_language)
        households = HouseholdService(db, clock, PeopleService(db, clock, Notifier(clock), i18n))
        try:
            if args.households_command == "import":
                created, updated, retired = await households.import_registry(
                    args.compound, args.file
                )
                print(f"households: {created} created, {updated} updated, {retired} retired")
                return 0

            def sheet(compound: OrgUnit, issued: list[IssuedCode]) -> Path:
                return write_code_sheet(
                    issued,
                    compound=compound,
                    bot_username=config.bot.username,
                    out=args.out,
                    t=i18n.get(config.locale.default_language),
                )

            _compound, issued = await households.issue_codes(
                args.compound, sheet, everyone=args.all, only=args.household
            )
            if not issued:
                print("every household is bound already (use --all to reissue all codes)")
                return 0
        except RegistryError as exc:
            raise CliError(str(exc)) from None
        except PosterError as exc:
            raise CliError(str(exc)) from None
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        print(
            f"{len(issued)} codes written to {args.out}; earlier codes of these households no"
            " longer work"
        )
        return 0

    return asyncio.run(_with_db(config, work))


def _cmd_team(config: Config, args: argparse.Namespace) -> int:
    from bot.app import build_services

    async def work(db: Database) -> int:
        services = build_services(config, db=db, clock=SystemClock())
        try:
            if args.team_command == "lead":
                changed = await services.leaders.appoint(args.telegram_id, args.team, args.unit)
                print("appointed" if changed else "already leads the team there")
            else:
                changed = await services.leaders.dismiss(args.telegram_id, args.team, args.unit)
                print("dismissed" if changed else "did not lead the team there")
            async with db.read() as tx:
                person = await tx.people.by_telegram(args.telegram_id)
            if changed and person is not None:  # their command menu, through the outbox
                await services.people.refresh_menu(await services.people.actor(person.id))
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        return 0

    return asyncio.run(_with_db(config, work))


def _cmd_export(config: Config, args: argparse.Namespace) -> int:
    from bot.errors import NotFound
    from bot.export import write_workbook
    from bot.i18n import I18n
    from bot.services.stats import StatsService, custom_period

    async def work(db: Database) -> int:
        try:
            period = custom_period(args.first, args.last)
            export = await StatsService(db, SystemClock(), config).export_unit(args.unit, period)
        except NotFound:
            raise CliError(f"no unit with code {args.unit!r}") from None
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        language = config.locale.default_language
        out = write_workbook(export, I18n(language).get(language), language, config.tz, args.out)
        print(
            f"{len(export.rows)} requests of {export.stats.unit.name} "
            f"({period.first} to {period.last}) written to {out}"
        )
        return 0

    return asyncio.run(_with_db(config, work))


def _cmd_api(config: Config, args: argparse.Namespace) -> int:
    from bot.services.apikeys import ApiKeyService

    if args.api_command is None:
        return _serve_api(config, args.listen or config.api.listen)

    async def work(db: Database) -> int:
        keys = ApiKeyService(db, SystemClock())
        try:
            if args.key_command == "create":
                new = await keys.create(args.name, args.unit)
                units = ", ".join(u.code for u in new.units)
                print(f"key for {new.key.name} (units {units}), shown only this once:")
                print(new.secret)
            elif args.key_command == "revoke":
                key = await keys.revoke(args.prefix)
                print(f"revoked {key.prefix}… ({key.name})")
            else:
                found = await keys.keys()
                if not found:
                    print("no API keys: create one with `gridbot api key create`")
                for key, scope in found:
                    state = "revoked" if key.revoked_at else "active"
                    used = key.last_used_at.isoformat() if key.last_used_at else "never"
                    codes = ",".join(u.code for u in scope)
                    print(f"{key.prefix}…  {key.name}  units {codes}  {state}  last used {used}")
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        return 0

    return asyncio.run(_with_db(config, work))


def _serve_api(config: Config, listen: str) -> int:
    """The API on its own: requests it takes are dispatched through the outbox, which the
    bot process (``gridbot run``) sends within one sweep."""
    from bot.app import api_server, build_services, listen_address

    try:
        host, port = listen_address(listen)
    except ValueError as exc:
        raise CliError(str(exc)) from None

    async def serve(db: Database) -> int:
        services = build_services(config, db=db, clock=SystemClock())
        server = api_server(services)
        try:
            await server.start(host, port)
        except OSError as exc:
            raise CliError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
        print(f"Open311 GeoReport v2 on http://{host}:{port}/open311/v2/ (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
        return 0

    return asyncio.run(_with_db(config, serve))


def _cmd_hotspots(config: Config, args: argparse.Namespace) -> int:
    """Print what the monthly job proposes (nothing is stored or sent)."""
    from bot.app import build_services
    from bot.views.topics import proposals_text

    async def work(db: Database) -> int:
        services = build_services(config, db=db, clock=SystemClock())
        language = config.locale.default_language
        t = services.i18n.get(language)
        try:
            from bot.services.topics import parse_month

            month = parse_month(args.month)
            communities = await services.topics.communities(args.unit)
            async with db.read() as tx:
                units = {u.id: u for u in await tx.org.all_units()}
                categories = {c.id: c for c in await tx.requests.categories(active_only=False)}
            for community in communities:
                proposals = await services.topics.analyse(community, month)
                print(proposals_text(t, language, proposals, units, categories))
        except DomainError as exc:
            raise CliError(exc.message.format(**exc.params)) from None
        if not communities:
            print("no community at or below that unit")
        return 0

    return asyncio.run(_with_db(config, work))


def _cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench.runner import SCENARIOS, BenchOptions, run_bench, table

    logging.getLogger().setLevel(logging.WARNING)
    options = BenchOptions(
        scenarios=list(args.scenario or SCENARIOS),
        quick=args.quick,
        residents=args.residents,
        latency=args.latency_ms / 1000,
        out=args.out or Path("bench/results/postgresql" if args.store else "bench/results"),
        store=args.store,
    )
    results, failed = asyncio.run(run_bench(options))
    print(table(results))
    print(f"results written to {options.out}/")
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import Sandbox

    try:
        asyncio.run(Sandbox(host=args.host, port=args.port).serve_forever())
    except OSError as exc:
        raise CliError(f"cannot serve on {args.host}:{args.port}: {exc.strerror}") from None
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Opt in to python-telegram-bot's timedelta durations (no deprecation warnings).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        if args.command == "sandbox":  # no token, no config needed
            return _cmd_sandbox(args)
        if args.command == "bench":
            return _cmd_bench(args)
        config = load_config(args.config)
        match args.command:
            case "run":
                config.require_token()
                return _cmd_run(config, args)
            case "db":
                return _cmd_db(config, args)
            case "org":
                return _cmd_org(config, args)
            case "outbox":
                return asyncio.run(_with_db(config, _cmd_outbox))
            case "admin":
                return _cmd_admin(config, args)
            case "team":
                return _cmd_team(config, args)
            case "export":
                return _cmd_export(config, args)
            case "households":
                return _cmd_households(config, args)
            case "api":
                return _cmd_api(config, args)
            case "hotspots":
                return _cmd_hotspots(config, args)
    except (ConfigError, CliError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
