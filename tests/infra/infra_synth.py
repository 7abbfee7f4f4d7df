"""The synthesized stack as the infra tests see it, with lookups by type and property."""

from dataclasses import dataclass
from typing import Any

from aws_cdk.assertions import Template


@dataclass(frozen=True)
class Synth:
    template: Template
    resources: dict[str, Any]
    report: dict[str, Any]
    stage: str
    max_workers: int

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def logical_id(self, cfn_type: str, **properties: Any) -> str:
        found = self.template.find_resources(cfn_type, {"Properties": properties})
        assert len(found) == 1, f"expected one {cfn_type} with {properties}, found {list(found)}"
        return next(iter(found))
