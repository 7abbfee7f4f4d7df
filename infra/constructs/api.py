"""REST API → api function: IAM-authorised, validated, throttled, access-logged and traced."""

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from enhancer.resources import APP_NAME, INCOMING_PREFIX, RESULTS_PREFIX, function
from infra import nag
from infra.config import StackConfig
from infra.constants import API_THROTTLE_BURST, API_THROTTLE_RATE, LOG_RETENTION
from infra.constructs.function import EnhancerFunction, FunctionAssets
from infra.constructs.pipeline import PipelineConstruct
from infra.constructs.storage import StorageConstruct


class ApiConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: StorageConstruct,
        pipeline: PipelineConstruct,
        assets: FunctionAssets,
        layers: list[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.handler = EnhancerFunction(
            self,
            "ApiFunction",
            spec=function("api"),
            stage=config.stage,
            assets=assets,
            layers=layers,
            architecture=config.lambda_architecture,
            # The secret's ARN only (no read grant): /health/detailed reports whether keys are configured.
            environment=pipeline.environment | pipeline.secret_env,
        )
        self._grant(storage, pipeline)
        self.rest_api = self._rest_api()
        self._routes()

    def _grant(self, storage: StorageConstruct, pipeline: PipelineConstruct) -> None:
        role = self.handler.role
        storage.grant_table_data(role, "documents")
        # The presigned upload URL is signed by this role, so it needs the PutObject it hands out; reprocess
        # HEADs the uploaded object (GetObject) and the detailed health lists incoming/ (ListBucket).
        storage.grant_objects(role, "input", INCOMING_PREFIX, read=True, write=True)
        storage.grant_objects(role, "output", RESULTS_PREFIX, read=True, write=False)
        pipeline.queues["ingest"].grant_send_messages(role)  # reprocess
        for statement in pipeline.api_statements():
            role.add_to_principal_policy(statement)

    def _rest_api(self) -> apigw.RestApi:
        access_logs = logs.LogGroup(self, "AccessLogs", retention=LOG_RETENTION)
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{APP_NAME}-{self.config.stage}-api",
            description="Document Enhancer API: health, uploads, status, results, reprocess",
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=self.config.stage,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # bodies may carry document content; never log them
                tracing_enabled=True,
                throttling_rate_limit=API_THROTTLE_RATE,
                throttling_burst_limit=API_THROTTLE_BURST,
            ),
            default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
        )
        nag.acknowledge(
            api,
            "APIG3",
            "IAM (SigV4) authorises every method, so anonymous traffic never reaches the integration; the "
            "callers are operators and services, and stage throttling bounds abuse. A WAF web ACL can be "
            "associated per account without changing this stack.",
        )
        nag.acknowledge(
            api,
            "COG4",
            "Callers are AWS principals (operators, other services) authorised by IAM SigV4, not end users; "
            "a Cognito user pool would add a second identity store for no caller.",
        )
        nag.acknowledge(
            api,
            "IAM4",
            "API Gateway's account-level CloudWatch role uses the AWS managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, the documented way to enable execution logging.",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        )
        return api

    def _routes(self) -> None:
        """Proxy integration on ``/`` and ``/{proxy+}``: the function owns routing (Powertools resolver)."""
        validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(self.handler.invocable, proxy=True)
        options = apigw.MethodOptions(
            authorization_type=apigw.AuthorizationType.IAM, request_validator=validator
        )
        self.rest_api.root.add_method(
            "ANY", integration, authorization_type=apigw.AuthorizationType.IAM, request_validator=validator
        )
        self.rest_api.root.add_proxy(default_integration=integration, default_method_options=options)
