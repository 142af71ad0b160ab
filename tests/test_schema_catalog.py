"""The schema comparison used against real orchestrator-core: it sees each kind of difference.

tests/test_orchestrator_real.py passes when this comparison finds nothing, so these tests show
that it would find something. They change the kit's own schema on the embedded server, one
aspect at a time, and check that each change is named in words. No real orchestrator-core is
needed.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from workshop import db

from .products_support import install_schema
from .schema_catalog import Column, Table, accepted_notes, describe, differences

TABLES = ("products", "product_block_relations", "workflows", "subscriptions", "processes")

#: One change per aspect compared, and the words the comparison must say about it.
CHANGES = {
    "ALTER TABLE products ALTER COLUMN description TYPE text": (
        "products.description: type is character varying(2000) in real, text in the kit"
    ),
    "ALTER TABLE workflows ALTER COLUMN description DROP NOT NULL": (
        "workflows.description: NOT NULL in real, nullable in the kit"
    ),
    "ALTER TABLE workflows ALTER COLUMN created_at SET DEFAULT now()": (
        "workflows.created_at: default is CURRENT_TIMESTAMP in real, now() in the kit"
    ),
    "ALTER TABLE workflows ALTER COLUMN is_task DROP DEFAULT": (
        "workflows.is_task: default is false in real, none in the kit"
    ),
    "ALTER TABLE workflows DROP COLUMN deleted_at": (
        "workflows.deleted_at: missing in the kit (real: timestamp with time zone NULL)"
    ),
    "ALTER TABLE processes ADD COLUMN extra integer": (
        "processes.extra: only in the kit (integer NULL)"
    ),
    "DROP INDEX ix_products_tag": (
        "products: index ix_products_tag missing in the kit "
        "(real: CREATE INDEX ON public.products USING btree (tag))"
    ),
    # A renamed index is found by its definition (the primary key's index has the same one).
    "ALTER INDEX product_block_relation_i_d_ix RENAME TO pbr_ix": (
        "product_block_relations: index product_block_relation_i_d_ix missing in the kit (real: "
        "CREATE UNIQUE INDEX ON public.product_block_relations USING btree (in_use_by_id, "
        "depends_on_id)); the kit has it as product_block_relations_pkey, pbr_ix"
    ),
    "ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_product_id_fkey, "
    "ADD CONSTRAINT subscriptions_product_id_fkey FOREIGN KEY (product_id) "
    "REFERENCES products (product_id) ON DELETE CASCADE": (
        "subscriptions: constraint subscriptions_product_id_fkey is FOREIGN KEY (product_id) "
        "REFERENCES products(product_id) ON DELETE NO ACTION ON UPDATE NO ACTION in real, "
        "FOREIGN KEY (product_id) REFERENCES products(product_id) ON DELETE CASCADE ON UPDATE "
        "NO ACTION in the kit"
    ),
    "DELETE FROM workflows WHERE name = 'modify_note'": (
        # deleted_at is dropped above: rows are compared on the columns both sides have.
        "workflows: row (name, target, description, created_at, is_task) = "
        "('modify_note', 'MODIFY', 'Modify Note', 'set', 'false') is seeded in real, "
        "not in the kit"
    ),
}


def test_each_kind_of_difference_is_named_in_words(project: Path) -> None:
    install_schema(project)
    with db.engine().connect() as conn:
        before = describe(conn, TABLES)
    assert differences(before, before, TABLES) == []
    with db.engine().begin() as conn:
        for sql in CHANGES:
            conn.execute(sa.text(sql))
    with db.engine().connect() as conn:
        after = describe(conn, TABLES)
    found = differences(before, after, TABLES)
    for expected in CHANGES.values():
        assert expected in found, f"not reported: {expected}\nreported:\n" + "\n".join(found)
    assert "product_block_relations: index pbr_ix only in the kit" in "\n".join(found)


def test_a_missing_table_is_named(project: Path) -> None:
    install_schema(project)
    with db.engine().connect() as conn:
        real = describe(conn, TABLES)
    kit = {name: table for name, table in real.items() if name != "processes"}
    assert differences(real, kit, TABLES) == ["table processes: only real orchestrator-core has it"]


def _one_column(type_: str, default: str | None) -> dict[str, Table]:
    return {"t": Table(columns=[Column("id", type_, True, default)])}


def test_only_the_one_uuid_default_pair_counts_as_equal() -> None:
    """uuid_generate_v4() (real) and gen_random_uuid() (kit) on a uuid column, and nothing more."""
    real = _one_column("uuid", "uuid_generate_v4()")
    kit = _one_column("uuid", "gen_random_uuid()")
    assert differences(real, kit, ("t",)) == []
    assert len(accepted_notes(real, kit)) == 1
    # The other way round, no default, another column type: each is a difference.
    assert differences(kit, real, ("t",)) != []
    assert differences(real, _one_column("uuid", None), ("t",)) == [
        "t.id: default is uuid_generate_v4() in real, none in the kit"
    ]
    assert differences(
        _one_column("text", "uuid_generate_v4()"), _one_column("text", "gen_random_uuid()"), ("t",)
    ) == ["t.id: default is uuid_generate_v4() in real, gen_random_uuid() in the kit"]
