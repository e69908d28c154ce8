"""UC function definition files: the SQL grammar covered, and errors that name the line and the fix."""

from __future__ import annotations

import pytest

from agent_lib.setup import DefinitionError, parse_definition
from agent_lib.setup.definitions import differences

SQL = """-- a comment
CREATE OR REPLACE FUNCTION Main.Sales.Discount(
  price DECIMAL(10, 2) COMMENT 'Net price; it''s in USD',
  rate DOUBLE DEFAULT 0.1 COMMENT 'Share taken off'
)
RETURNS DOUBLE
NOT DETERMINISTIC
CONTAINS SQL
COMMENT 'Price after discount.'
RETURN price * (1 - rate);
"""


def test_a_sql_function_reads_into_create_function_fields():
    info = parse_definition(SQL)
    assert (info["catalog_name"], info["schema_name"], info["name"]) == ("main", "sales", "discount")
    first, second = info["input_params"]["parameters"]
    assert first == {"name": "price", "type_name": "DECIMAL", "type_text": "decimal(10, 2)", "position": 0,
                     "parameter_mode": "IN", "parameter_type": "PARAM", "comment": "Net price; it's in USD"}
    assert second["parameter_default"] == "0.1" and second["type_name"] == "DOUBLE"
    assert info["routine_body"] == "SQL" and info["routine_definition"] == "price * (1 - rate)"
    assert (info["data_type"], info["full_data_type"]) == ("DOUBLE", "DOUBLE")
    assert info["is_deterministic"] is False and info["sql_data_access"] == "CONTAINS_SQL"
    assert info["comment"] == "Price after discount."


def test_a_python_function_and_a_table_function():
    py = parse_definition("CREATE FUNCTION a.b.c(x BIGINT) RETURNS BIGINT LANGUAGE PYTHON AS $$\nreturn x\n$$")
    assert (py["routine_body"], py["external_language"], py["routine_definition"]) == ("EXTERNAL", "Python", "return x")
    assert py["data_type"] == "LONG" and py["full_data_type"] == "BIGINT" and py["sql_data_access"] == "NO_SQL"
    table = parse_definition("CREATE FUNCTION a.b.t() RETURNS TABLE (n INT COMMENT 'n') RETURN SELECT 1 AS n FROM x")
    assert table["data_type"] == "TABLE_TYPE" and table["full_data_type"] == "TABLE (n INT)"
    assert table["return_params"]["parameters"][0]["comment"] == "n"
    assert table["sql_data_access"] == "READS_SQL_DATA" and table["input_params"] == {"parameters": []}


@pytest.mark.parametrize("text, problem", [
    ("", "expected CREATE"),
    ("CREATE FUNCTION a.b(x INT) RETURNS INT RETURN x", "not a three-part name"),
    ("CREATE FUNCTION a.b.c(x WIDGET) RETURNS INT RETURN x", "line 1 near 'WIDGET': expected a SQL type"),
    ("CREATE FUNCTION a.b.c(x INT)\nRETURN x", "line 2 near 'RETURN': expected RETURNS"),
    ("CREATE TEMPORARY FUNCTION a.b.c() RETURNS INT RETURN 1", "TEMPORARY"),
    ("CREATE FUNCTION a.b.c() RETURNS INT RETURN 1; DROP TABLE t", "one statement per file"),
    ("CREATE FUNCTION a.b.c() RETURNS INT LANGUAGE RUST AS $$x$$", "LANGUAGE SQL or LANGUAGE PYTHON"),
    ("CREATE FUNCTION a.b.c() RETURNS INT AS 'x'", "between $$ and $$"),
    ("CREATE FUNCTION a.b.c() RETURNS TABLE (n INT) LANGUAGE PYTHON AS $$x$$", "RETURNS TABLE needs"),
    ("CREATE FUNCTION a.b.c() RETURNS INT COMMENT 'x' ?", "unexpected character"),
])
def test_bad_definitions_name_the_line_and_the_expected_form(text, problem):
    with pytest.raises(DefinitionError) as err:
        parse_definition(text, "functions/c.sql")
    assert err.value.resource == "functions/c.sql"
    assert problem in err.value.problem and "CREATE OR REPLACE FUNCTION" in err.value.fix


def test_differences_ignore_case_of_types_and_surrounding_whitespace():
    info = parse_definition(SQL)
    current = {**info, "routine_definition": "\n price * (1 - rate) \n",
               "input_params": {"parameters": [dict(p, type_text=p["type_text"].upper())
                                               for p in info["input_params"]["parameters"]]}}
    assert differences(info, current) == []
    assert differences(info, {**current, "comment": "other"}) == ["comment"]
