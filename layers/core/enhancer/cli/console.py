"""``doc-enhancer console --stage NAME``: the web console against a deployed stack, through a local server
that signs the API calls with your AWS credentials (the API stays IAM-authorised)."""

from pathlib import Path
from typing import Annotated

import typer

from enhancer.resources import APP_NAME

STACK_PREFIX = "DocumentEnhancer"


def _api_url(stage: str, region: str | None) -> str:
    """The ``ApiUrl`` output of the stage's CloudFormation stack."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    stack = f"{STACK_PREFIX}-{stage}"
    try:
        described = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)
    except (BotoCoreError, ClientError) as exc:
        raise typer.BadParameter(f"cannot read stack {stack}: {exc}", param_hint="--stage") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    if "ApiUrl" not in outputs:
        raise typer.BadParameter(f"stack {stack} has no ApiUrl output", param_hint="--stage")
    return outputs["ApiUrl"]


def console_command(
    stage: Annotated[str, typer.Option(help=f"the deployed stage (stack {STACK_PREFIX}-STAGE)")],
    api_url: Annotated[
        str | None, typer.Option(help="the API's URL (default: the stack's ApiUrl output)")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: your configuration)")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile for the credentials")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="local port (0: any free port)")] = 8090,
    host: Annotated[
        str, typer.Option(help="keep 127.0.0.1: the server signs with your credentials")
    ] = "127.0.0.1",
    eval_report: Annotated[Path | None, typer.Option(help="an eval report for the Eval page")] = None,
) -> None:
    """Serve the console on http://HOST:PORT for a deployed stack, signing its API calls (SigV4)."""
    import boto3

    from enhancer.console.proxy import ConsoleProxy, ProxyTarget
    from enhancer.local.server import wait_forever

    session = boto3.session.Session(profile_name=profile, region_name=region)
    credentials = session.get_credentials()
    if credentials is None:
        typer.echo("error: no AWS credentials (aws configure, AWS_PROFILE or the AWS_* variables)", err=True)
        raise typer.Exit(1)
    resolved_region = session.region_name or "us-east-1"
    url = api_url or _api_url(stage, resolved_region)
    target = ProxyTarget(
        api_url=url, region=resolved_region, credentials=credentials, eval_report=eval_report
    )
    try:
        proxy = ConsoleProxy(target, host, port).start()
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"console    {proxy.url}/   ({APP_NAME} {stage}: {url}, signed as your AWS identity)")
    typer.echo("uploads go straight to S3 with the API's presigned URL: the input bucket needs a CORS rule")
    typer.echo(f"allowing PUT from {proxy.url}. Ctrl-C stops the server.")
    try:
        wait_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        proxy.stop()
