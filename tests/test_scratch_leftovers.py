"""The suite's own databases on the real PostgreSQL, and its topics and consumer groups on the real Kafka
broker, go when their test ends, and a killed run's with a later run.

A broker that kept every run's topics took longer to start than `make test` waits for it."""

from __future__ import annotations

import time
from dataclasses import replace

import psycopg
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from services.kernel.kafka import ensure_topics
from services.kernel.settings import Settings
from tests.conftest import (
    create_database,
    delete_scratch,
    drop_database,
    postgres_admin,
    scratch_database_name,
    scratch_names,
    scratch_prefix,
    stale_scratch_database,
    stale_scratch_name,
    sweep_scratch,
    sweep_scratch_databases,
)
from tests.distributed.stack import wait_until

NOW = 1_795_000_000


def test_only_old_or_untimed_scratch_names_are_stale() -> None:
    assert stale_scratch_name(f"t-{NOW - 7 * 3600}-0a1b2c.donations", NOW)
    assert stale_scratch_name(f"bench-{NOW - 7 * 3600}-0a1b2c-2.bare", NOW)
    assert not stale_scratch_name(f"t-{NOW - 3600}-0a1b2c.donations", NOW)  # a run may still be using it
    assert stale_scratch_name("t0123456789.calls", NOW)
    assert stale_scratch_name("t0123456789-check", NOW)
    assert stale_scratch_name("bench0a1b2c-1.sample", NOW)
    for product_name in ("angeli.donations", "angeli-readiness", "charity-t0123456789.calls", "__consumer_offsets",
                         "angeli.projection_ledger"):
        assert not stale_scratch_name(product_name, NOW)


def test_a_prefix_picks_its_own_names_and_its_benchmark_runs() -> None:
    mine = scratch_names("t-1795000000-0a1b2c")
    assert mine("t-1795000000-0a1b2c.calls") and mine("t-1795000000-0a1b2c-3.bare")
    assert not mine("t-1795000000-0a1b2cd.calls") and not mine("x-t-1795000000-0a1b2c.calls")


def test_scratch_prefixes_carry_the_time_they_were_made() -> None:
    before = int(time.time())
    prefix = scratch_prefix("t")
    assert scratch_names(prefix)(f"{prefix}.donations")
    assert not stale_scratch_name(f"{prefix}.donations", before + 3600)
    assert stale_scratch_name(f"{prefix}.donations", before + 7 * 3600 + 1)


def make_group(settings: Settings) -> str:
    """A consumer group that has committed an offset on the settings' sample topic, then left."""
    group = settings.topic("reader")
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group})
    try:
        consumer.commit(offsets=[TopicPartition(settings.topic("sample"), 0, 0)], asynchronous=False)
    finally:
        consumer.close()
    return group


@pytest.mark.kafka
def test_the_sweep_deletes_what_killed_runs_left_and_nothing_else(pg_settings: Settings) -> None:
    mark = pg_settings.topic_prefix[-6:]
    old = replace(pg_settings, topic_prefix=f"t-{int(time.time()) - 7 * 3600}-{mark}")
    untimed = replace(pg_settings, topic_prefix=f"t{mark}0000")
    kept = replace(pg_settings, topic_prefix=f"keep{mark}")
    made = [replace(settings, kafka_partitions=1) for settings in (pg_settings, old, untimed, kept)]
    for settings in made:
        ensure_topics(settings, ["sample"])
    admin = AdminClient({"bootstrap.servers": pg_settings.kafka_bootstrap})
    # The controller confirms a new topic a moment before the broker lists it.
    wait_until(lambda: {s.topic("sample") for s in made} <= set(admin.list_topics(timeout=10).topics), 10,
               "the broker to list the new topics")
    groups = [make_group(settings) for settings in made]

    try:
        assert sweep_scratch(pg_settings.kafka_bootstrap) >= 4
        topics = set(admin.list_topics(timeout=10).topics)
        left = {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result().valid}
        assert old.topic("sample") not in topics and untimed.topic("sample") not in topics
        assert groups[1] not in left and groups[2] not in left
        assert pg_settings.topic("sample") in topics and kept.topic("sample") in topics
        assert groups[0] in left and groups[3] in left
    finally:
        assert delete_scratch(pg_settings.kafka_bootstrap, scratch_names(kept.topic_prefix)) == 2


def test_only_old_or_untimed_scratch_databases_are_stale() -> None:
    assert stale_scratch_database(f"angeli_t_{NOW - 7 * 3600}_0a1b2c", NOW)
    assert stale_scratch_database(f"angeli_bench_vault_{NOW - 7 * 3600}_0a1b2c", NOW)
    assert not stale_scratch_database(f"angeli_t_{NOW - 3600}_0a1b2c", NOW)
    assert stale_scratch_database("angeli_t_0123456789ab", NOW) and stale_scratch_database("angeli_lag_0123abcd", NOW)
    for product_database in ("angeli", "angeli_test", "angeli_production", "postgres", "charity_t_0123456789ab"):
        assert not stale_scratch_database(product_database, NOW)
    made = scratch_database_name("angeli_t")
    assert not stale_scratch_database(made, time.time()) and stale_scratch_database(made, time.time() + 7 * 3600)


@pytest.mark.postgres
def test_the_sweep_drops_the_databases_killed_runs_left_and_nothing_else(pg_settings: Settings) -> None:
    admin = postgres_admin()
    old, fresh = f"angeli_t_{int(time.time()) - 7 * 3600}_0a1b2c", scratch_database_name("angeli_t")
    for name in (old, fresh):
        create_database(admin, name)
    try:
        swept = sweep_scratch_databases(admin)
        assert old in swept and fresh not in swept
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        assert old not in names and {fresh, pg_settings.postgres.dbname, admin.dbname} <= names
    finally:
        drop_database(admin, old)
        drop_database(admin, fresh)


@pytest.mark.kafka
def test_a_group_still_in_use_is_left_for_a_later_sweep_not_an_error(pg_settings: Settings) -> None:
    settings = replace(pg_settings, kafka_partitions=1)
    ensure_topics(settings, ["sample"])
    group = settings.topic("reader")
    member = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group,
                       "auto.offset.reset": "earliest"})
    member.subscribe([settings.topic("sample")])
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})

    def groups() -> set[str]:
        return {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result().valid}

    try:
        wait_until(lambda: member.poll(0.2) is None and member.assignment(), 30, "the member to join its group")
        delete_scratch(settings.kafka_bootstrap, scratch_names(settings.topic_prefix))  # does not raise
        assert group in groups()
    finally:
        member.close()
    delete_scratch(settings.kafka_bootstrap, scratch_names(settings.topic_prefix))
    assert group not in groups()
