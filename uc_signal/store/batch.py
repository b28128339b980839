"""Batch statements of the write-behind queues: compiled once, executed with tuples.

`connection.execute(insert(table), [dict, ...])` does Python work per row in the event
loop's thread: a parameter dict per row, the compiled cache lookup, every column's bind
processor, and (async engine) the greenlet bridge for each DBAPI call. The write-behind
queues write the same few statements over and over, so a `BatchStatement` compiles its
SQLAlchemy Core statement once per dialect, and `run` hands the rows, built as tuples in
the statement's parameter order, to the DBAPI's `executemany` in one call through
`exec_driver_sql`: under aiosqlite that is one hop to the driver's thread, where sqlite3
binds and steps every row in C. The statements stay SQLAlchemy Core, compiled by the
engine's dialect, so PostgreSQL (asyncpg: positional `$n`) gets its own SQL.

Bind processors: a dialect may convert values before the DBAPI sees them. SQLite's Float
columns have `to_float`, which leaves a float alone and turns an int into a float; the
store's Float values are floats or ints, and SQLite's REAL affinity stores an int bound to
a REAL column as a float, so `to_float` is skipped. Any other processor (a dialect's
Boolean, LargeBinary) is applied to its column of every row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Insert, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.processors import to_float
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Row = tuple[Any, ...]


class BatchStatement:
    """One DML statement with the named parameters `names`, run with rows of values in
    that order."""

    def __init__(self, statement: ClauseElement, names: Sequence[str], columns: Sequence[Column[Any]],
                 column_keys: Sequence[str] | None = None) -> None:
        """`columns[i]` is the column whose type binds parameter `names[i]`;
        `column_keys`: the columns an INSERT names (compile's column_keys)."""
        self.statement = statement
        self.names = tuple(names)
        self.columns = tuple(columns)
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[tuple[str, str, str], tuple[str, Callable[[list[Row]], list[Any]]]] = {}

    @classmethod
    def insert_of(cls, statement: Insert, table: Table, names: Sequence[str]) -> BatchStatement:
        """An INSERT (or upsert) of the columns `names` of `table`; inline: no RETURNING of
        a generated key (PostgreSQL would add one for a single row), nothing is read back."""
        return cls(statement.inline(), names, [table.c[name] for name in names], names)

    def compiled(self, dialect: Dialect) -> tuple[str, Callable[[list[Row]], list[Any]]]:
        """The SQL for `dialect` and the function that turns rows into its parameters."""
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> tuple[str, Callable[[list[Row]], list[Any]]]:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        assert isinstance(compiled, SQLCompiler)
        processors = [(i, column.type.dialect_impl(dialect).bind_processor(dialect))
                      for i, column in enumerate(self.columns)]
        converts: list[tuple[int, Callable[[Any], Any]]] = [(i, p) for i, p in processors if p is not None and p is not to_float]
        if dialect.positional:
            order = [self.names.index(name) for name in compiled.positiontup or ()]
            if order != list(range(len(self.names))):
                raise ValueError(f"{self.statement}: parameters {compiled.positiontup}, rows give {self.names}")
        names = self.names

        def parameters(rows: list[Row]) -> list[Any]:
            if converts:
                rows = [_converted(row, converts) for row in rows]
            if not dialect.positional:  # a named paramstyle (psycopg's pyformat)
                return [dict(zip(names, row)) for row in rows]
            return rows

        return str(compiled), parameters

    async def run(self, connection: AsyncConnection, rows: list[Row]) -> None:
        """Every row, as one executemany (a single row: one execute)."""
        if not rows:
            return
        sql, parameters = self.compiled(connection.dialect)
        await connection.exec_driver_sql(sql, parameters(rows))


def _converted(row: Row, converts: list[tuple[int, Callable[[Any], Any]]]) -> Row:
    values = list(row)
    for i, convert in converts:
        values[i] = convert(values[i])
    return tuple(values)
