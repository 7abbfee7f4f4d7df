"""SnapStart where it pays: published versions, a ``live`` alias that every invoker uses, and the flag
(``-c snapstart=false``) that turns it off."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from conftest import REPO_ROOT, TEST_CONTEXT
from infra_synth import Synth

from enhancer.resources import FUNCTIONS, resource_name
from infra.constructs.function import LIVE_ALIAS, SNAPSTART_FUNCTIONS

pytestmark = pytest.mark.infra


def _function_id(synth: Synth, key: str) -> str:
    return synth.logical_id("AWS::Lambda::Function", FunctionName=resource_name(synth.stage, key))


def _alias_id(synth: Synth, key: str) -> str:
    return synth.logical_id(
        "AWS::Lambda::Alias", Name=LIVE_ALIAS, FunctionName={"Ref": _function_id(synth, key)}
    )


def _mappings_of(synth: Synth, target: dict[str, Any]) -> list[dict[str, Any]]:
    """Event source mappings naming ``target``: a function's Ref, or an alias (``<function name>:live``,
    built by CDK from the alias ARN)."""
    return [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == target
        or (
            json.dumps(target) in json.dumps(m["Properties"]["FunctionName"])
            and target["Ref"] in _aliases(synth)
        )
    ]


def _aliases(synth: Synth) -> set[str]:
    return set(synth.of_type("AWS::Lambda::Alias"))


@pytest.fixture(scope="module")
def snapstart_off(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from infra.app import build_app

    context = (
        json.loads((REPO_ROOT / "cdk.json").read_text())["context"] | TEST_CONTEXT | {"snapstart": "false"}
    )
    outdir: Path = tmp_path_factory.mktemp("cdk.out")
    app = build_app(context, outdir)
    app.synth()  # cdk-nag runs here too
    stack = app.node.find_child(f"DocumentEnhancer-{TEST_CONTEXT['stage']}")
    return dict(Template.from_stack(stack).to_json()["Resources"])  # type: ignore[arg-type]


def test_snapstart_is_on_where_it_pays_and_off_elsewhere(synth: Synth) -> None:
    assert {"api", "enrich"} == SNAPSTART_FUNCTIONS
    for spec in FUNCTIONS:
        props = synth.resources[_function_id(synth, spec.key)]["Properties"]
        expected = {"ApplyOn": "PublishedVersions"} if spec.key in SNAPSTART_FUNCTIONS else None
        assert props.get("SnapStart") == expected, spec.key


@pytest.mark.parametrize("key", sorted(SNAPSTART_FUNCTIONS))
def test_a_snapstart_function_publishes_a_version_behind_the_live_alias(synth: Synth, key: str) -> None:
    function_id = _function_id(synth, key)
    (version_id,) = [
        vid
        for vid, v in synth.of_type("AWS::Lambda::Version").items()
        if v["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    alias = synth.resources[_alias_id(synth, key)]["Properties"]
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}


def test_the_enrich_queue_invokes_the_alias_and_never_the_unpublished_function(synth: Synth) -> None:
    alias = {"Ref": _alias_id(synth, "enrich")}
    assert [m["BatchSize"] for m in _mappings_of(synth, alias)] == [5]
    assert _mappings_of(synth, {"Ref": _function_id(synth, "enrich")}) == []
    # The functions without SnapStart keep their event sources on $LATEST.
    assert len(_mappings_of(synth, {"Ref": _function_id(synth, "extract")})) == 1


def test_the_api_integration_and_its_invoke_permissions_target_the_alias(synth: Synth) -> None:
    alias = {"Ref": _alias_id(synth, "api")}
    methods = synth.of_type("AWS::ApiGateway::Method").values()
    uris = [
        json.dumps(m["Properties"]["Integration"]["Uri"]) for m in methods if "Integration" in m["Properties"]
    ]
    assert uris
    assert all(json.dumps(alias) in uri for uri in uris)
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values()]
    api_permissions = [p for p in permissions if p["Principal"] == "apigateway.amazonaws.com"]
    assert api_permissions
    assert all(p["FunctionName"] == alias for p in api_permissions)


def test_the_context_flag_turns_snapstart_versions_and_aliases_off(snapstart_off: dict[str, Any]) -> None:
    functions = [r for r in snapstart_off.values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions
    assert all("SnapStart" not in f["Properties"] for f in functions)
    assert not [
        r for r in snapstart_off.values() if r["Type"] in ("AWS::Lambda::Alias", "AWS::Lambda::Version")
    ]
