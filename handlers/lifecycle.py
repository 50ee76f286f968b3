"""How the Klear Karma handlers live in an app: a Domain built at setup, migrated (and, in the
sandbox, seeded) before first use, disposed at shutdown, reseeded by a sandbox reset. Production
mode seeds only when asked (`kk seed`, `kk contract --mode serve`).

Every tag module creates its group with `domain_group(tag)`; the hooks are shared, so they
run once per app however many groups bind them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import handlers.domain  # noqa: F401 - registers seed loaders and owner lookups
from handlers.answers import answer_source
from handlers.domain.context import Domain, domain_of, fixed_clock, system_clock
from handlers.domain.gateway import sandbox_gateway
from handlers.domain.gateway_timeout import timeout_of
from handlers.domain.languages import PreferredLanguages
from handlers.domain.ownership import DatabaseOwnership
from handlers.storage import seed
from handlers.storage.database import Database
from handlers.storage.migrate import upgrade
from handlers.storage.reseed import reseed
from server.binding import OperationGroup


def domain_group(tag: str) -> OperationGroup:
    """An OperationGroup of `tag` whose handlers use the app's Domain."""
    group = OperationGroup(tag)
    group.on_setup(install)
    group.on_startup(start)
    group.on_shutdown(stop)
    group.on_reset(reset)
    group.on_seed(seed_fixtures)
    return group


async def migrate(domain: Domain) -> None:
    await upgrade(domain.db)


async def load_seed(domain: Domain) -> None:
    await _load_seed(domain)


def _plan(domain: Domain) -> seed.SeedPlan:
    count = domain.options.get("seed_count")
    spec = domain.spec_files.get("openapi")
    return seed.plan(Path(spec) if spec else None, int(count) if count is not None else None)


def _rng_seed(domain: Domain) -> int:
    return int(domain.options.get("seed", 0) or 0)


async def _load_seed(domain: Domain) -> int:
    return await seed.load(domain.db, _plan(domain), _rng_seed(domain))


def install(runtime: Any) -> None:
    """Build the app's Domain (no I/O yet) and answer `x-owner` from the database."""
    extras = runtime.extras
    if isinstance(extras.get("domain"), Domain):
        return
    timeout_of(extras)  # a bad KK_PAYMENT_TIMEOUT fails here, not at the first payment
    now = extras.get("now")
    domain = Domain(
        db=Database.for_data_dir(Path(extras.get("data_dir", ".kk"))),
        bus=extras.get("bus"),
        clock=fixed_clock(str(now)) if now else system_clock,
        data_dir=Path(extras.get("data_dir", ".kk")),
        mode=runtime.mode,
        spec_files=dict(runtime.spec_files),
        options=extras,
    )
    instrument = extras.get("instrument_engine")  # OpenTelemetry spans (server.tracing)
    if instrument is not None:
        engines: set[Any] = {domain.db.engine, domain.db.read_engine}
        if domain.db.writer is not None:  # (SQLite's write units: handlers.storage.writer)
            engines.add(domain.db.writer.engine)
        for engine in engines:
            instrument(engine)
    domain.preparers.append(migrate)
    if runtime.mode == "sandbox":
        domain.preparers.append(load_seed)
    extras["domain"] = domain
    extras["preferred_language"] = domain.get(PreferredLanguages)  # server.languages
    extras["answers"] = answer_source(domain)  # kept read answers (handlers.answers)
    runtime.ownership = DatabaseOwnership(domain, runtime.ownership)


async def seed_fixtures(runtime: Any) -> int:
    """The sandbox's data (the spec's examples, spec/sandbox.yaml, generated practitioners)
    loaded into this app's database on request, in any mode; rows that exist are kept."""
    domain = await domain_of(runtime.extras).ready()
    return await _load_seed(domain)


async def start(runtime: Any) -> None:
    """The app's connection pool, on the loop that serves it (the lifespan's), and the
    database migrated (and seeded) before the first request."""
    domain = domain_of(runtime.extras)
    await domain.db.open()
    await domain.ready()


async def stop(runtime: Any) -> None:
    await domain_of(runtime.extras).db.close()


async def reset(runtime: Any) -> None:
    """Back to the seed: every table emptied, then loaded again, in one transaction (from
    the rows the process's first reset stored, see handlers.storage.reseed)."""
    domain = domain_of(runtime.extras)
    await domain.ready()
    if runtime.mode == "sandbox":
        await reseed(domain.db, _plan(domain), _rng_seed(domain))
    else:
        await seed.wipe(domain.db)
    sandbox_gateway(domain).forget()  # the seeded intents are unpaid again
