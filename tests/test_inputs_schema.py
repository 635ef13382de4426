"""The JSON Schema of inputs.json agrees with load_inputs: a saved folder passes, and the bad
edits load_inputs refuses are refused by the schema too."""

import copy
import json

import jsonschema
import pytest
from test_bad_inputs import INPUTS_CASES, _edit

import placecast as pc

# A key missing from a by-placement table: which keys are needed depends on the file's own
# state space, which a schema cannot refer to; load_inputs checks it.
NEEDS_THE_SPACE = {"costs.inflation_per_year.ifa", "costs.weekly_cost_gbp.ifa"}


@pytest.fixture(scope="module")
def saved_meta(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema") / "base"
    pc.save_inputs(pc.hackney_2022(), folder)
    return json.loads((folder / "inputs.json").read_text())


@pytest.fixture(scope="module")
def validator():
    schema = pc.inputs_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_a_saved_inputs_file_passes_the_schema(saved_meta, validator):
    assert [e.message for e in validator.iter_errors(saved_meta)] == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (path, value)
        for path, value, _ in INPUTS_CASES
        if not (value is KeyError and path in NEEDS_THE_SPACE)
    ],
)
def test_the_schema_refuses_what_load_inputs_refuses(saved_meta, validator, path, value):
    edited = _edit(copy.deepcopy(saved_meta), path, value)
    assert list(validator.iter_errors(edited)), f"{path}={value!r} passed the schema"


def test_every_field_is_described(validator):
    """Each supply and cost field carries the docstring's description, so an editor shows it."""
    properties = validator.schema["properties"]
    for section in ("supply", "costs"):
        for name, field in properties[section]["properties"].items():
            assert field.get("description", "").strip(), f"{section}.{name} has no description"


def test_a_schema_key_for_editors_passes_both(tmp_path, saved_meta, validator):
    folder = tmp_path / "inputs"
    pc.save_inputs(pc.hackney_2022(), folder)
    meta = {"$schema": "../inputs.schema.json", **saved_meta}
    (folder / "inputs.json").write_text(json.dumps(meta))
    assert list(validator.iter_errors(meta)) == []
    assert pc.load_inputs(folder).name == pc.hackney_2022().name
