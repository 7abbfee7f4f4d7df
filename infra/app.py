"""CDK entry point (``cdk.json`` runs ``python -m infra.app``): context → config → stack, cdk-nag on."""

from pathlib import Path

from aws_cdk import App, Environment, Tags

from enhancer.resources import APP_NAME
from infra import nag
from infra.config import StackConfig
from infra.constants import STACK_NAME_PREFIX
from infra.constructs.function import OCR_DOCKERFILE, FunctionAssets
from infra.layers import REPO_ROOT, ensure_layers

STUB_ASSET_DIR = REPO_ROOT / "infra" / "stub_asset"


def function_assets(config: StackConfig) -> FunctionAssets:
    """Real code and layers for synth/deploy; with ``stub_assets`` (tests only) one stub folder for all."""
    functions_root = REPO_ROOT / "functions"
    if config.stub_assets:
        return FunctionAssets(
            functions_root=STUB_ASSET_DIR,
            core_layer=STUB_ASSET_DIR,
            deps_layer=STUB_ASSET_DIR,
            ocr_image_context=OCR_DOCKERFILE.parent if config.ocr_engine == "rapidocr" else None,
            stub=True,
        )
    layers = ensure_layers(config.architecture)
    return FunctionAssets(
        functions_root=functions_root,
        core_layer=layers.core,
        deps_layer=layers.deps,
        ocr_image_context=REPO_ROOT if config.ocr_engine == "rapidocr" else None,
    )


def build_app(context: dict[str, object] | None = None, outdir: Path | None = None) -> App:
    app = App(context=context, outdir=str(outdir) if outdir else None)
    config = StackConfig.from_context(app.node.try_get_context)
    # Env-agnostic unless account/region are given: synth needs no credentials; deploy resolves them.
    account, region = app.node.try_get_context("account"), app.node.try_get_context("region")
    env = Environment(account=str(account), region=str(region)) if account and region else None
    from infra.stack import (
        DocumentEnhancerStack,
    )  # after config: a bad context value fails before any construct

    stack = DocumentEnhancerStack(
        app,
        f"{STACK_NAME_PREFIX}-{config.stage}",
        config=config,
        assets=function_assets(config),
        env=env,
        description=f"{APP_NAME} ({config.stage}): S3 → SQS → extract → enrich → validate, API, alarms",
    )
    Tags.of(stack).add("app", APP_NAME)
    Tags.of(stack).add("stage", config.stage)
    nag.add_checks(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
