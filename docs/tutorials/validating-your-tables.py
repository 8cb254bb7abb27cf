"""Validate a platform's event tables, read the errors, fix the data, validate again."""

from datetime import datetime

import pandas as pd
import polars as pl

from thinfile_credit.errors import SchemaError
from thinfile_credit.schema import EventTables, problems_frame, validate_tables

# 1. Tables as a platform exports them: orders in pandas, bills and profiles in Polars.
orders = pd.DataFrame(
    {
        "order_id": [1001, 1002, 1003, 1004],
        "user_id": [7, 7, 8, 9],
        "ordered_at": pd.to_datetime(
            ["2024-03-01 10:15", "2024-03-04 21:40", "2024-03-05 08:05", "2024-03-07 12:00"]
        ),
        "amount": [59.9, -12.0, 230.0, 18.5],  # a refund keyed in as a negative order
        "category": ["food", "food", "digital", "home"],
        "status": ["paid", "refunded", "paid", "shipped"],  # "shipped" is not a final status
        "merchant": ["m1", "m1", "m2", "m3"],  # extra columns are kept and ignored
    }
)
bills = pl.DataFrame(
    {
        "bill_id": ["B1", "B2", "B3"],
        "user_id": [7, 8, 9],
        "issued_at": [datetime(2024, 3, 1), datetime(2024, 3, 1), datetime(2024, 3, 1)],
        "due_at": [datetime(2024, 3, 15), datetime(2024, 2, 15), datetime(2024, 3, 15)],
        "amount_due": [120.0, 80.0, 45.0],
        "paid_at": [datetime(2024, 3, 14), None, None],
        "amount_paid": [120.0, 0.0, 45.0],  # B3: paid, but no payment date recorded
    }
)
profiles = pl.DataFrame(
    {
        "user_id": [7, 8, 9],
        "registered_at": [datetime(2023, 1, 5), datetime(2023, 6, 1), datetime(2024, 2, 1)],
        "phone_verified_at": [datetime(2023, 1, 5), None, datetime(2024, 2, 2)],
    }
).with_columns(pl.col("registered_at").dt.replace_time_zone("UTC"))  # one column in UTC

tables = EventTables(orders=orders, bills=bills, profiles=profiles)

# 2. validate() raises one SchemaError listing every problem: table, column, rows.
try:
    tables.validate()
except SchemaError as err:
    print(err)
    print()
    print("first problem:", err.table, err.column, err.rows)

# 3. Or collect the problems and tabulate them.
problems = validate_tables(tables, errors="collect")
with pl.Config(fmt_str_lengths=60, tbl_width_chars=120):
    print(problems_frame(problems).select("table", "column", "check", "n_rows", "rows"))

# 4. Fix the data at the edge and validate again.
orders_fixed = orders.assign(
    amount=orders["amount"].abs(),
    status=orders["status"].replace({"shipped": "paid"}),
)
bills_fixed = bills.with_columns(
    # B2 was issued on 1 March and is due two weeks later; B3 was paid on its due date.
    pl.when(pl.col("bill_id") == "B2")
    .then(datetime(2024, 3, 15))
    .otherwise(pl.col("due_at"))
    .alias("due_at"),
    pl.when(pl.col("bill_id") == "B3")
    .then(datetime(2024, 3, 15))
    .otherwise(pl.col("paid_at"))
    .alias("paid_at"),
)
profiles_fixed = profiles.with_columns(pl.col("registered_at").dt.replace_time_zone(None))
fixed = EventTables(orders=orders_fixed, bills=bills_fixed, profiles=profiles_fixed).validate()
print()
print("valid:", fixed.names())

# 5. The same check through PyArrow: your frame in, nothing converted on the way out.
arrow_tables = fixed.to_kind("pyarrow").validate()
print("as PyArrow:", type(arrow_tables.orders).__name__, arrow_tables.orders.num_rows, "rows")
