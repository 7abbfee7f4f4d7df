"""The runbook's alarms → one SNS topic, and a dashboard of the pipeline (Observability contract)."""

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from enhancer.observability import METRICS_NAMESPACE, SERVICE_NAME, MetricName
from enhancer.resources import APP_NAME
from infra import constants as c
from infra.constructs.function import EnhancerFunction

# Powertools Metrics publishes every EMF metric with the ``service`` dimension.
METRIC_DIMENSIONS = {"service": SERVICE_NAME}


def app_metric(name: MetricName, statistic: str = "Sum", label: str | None = None) -> cw.Metric:
    return cw.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name.value,
        dimensions_map=METRIC_DIMENSIONS,
        statistic=statistic,
        period=c.ALARM_PERIOD,
        label=label,
    )


class ObservabilityConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        alert_email: str | None,
        functions: Mapping[str, EnhancerFunction],
        queues: Mapping[str, sqs.IQueue],
        dlqs: Mapping[str, sqs.IQueue],
        sweeper_dlq: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.topic = self._alert_topic(alert_email)
        self.alarms: list[cw.Alarm] = []
        self._llm_alarms()
        self._ocr_alarms()
        self._queue_alarms(queues, dlqs)
        self._function_alarms(functions)
        self._sweep_alarms(sweeper_dlq)
        self.dashboard = self._dashboard(functions, queues, dlqs)

    def _alert_topic(self, alert_email: str | None) -> sns.Topic:
        # A customer-managed key because CloudWatch must be allowed to encrypt into the topic; the AWS-managed
        # SNS key's policy cannot grant that.
        key = kms.Key(self, "AlertsKey", enable_key_rotation=True, description=f"{APP_NAME} alert topic")
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(
            self, "Alerts", topic_name=f"{APP_NAME}-{self.stage}-alerts", master_key=key, enforce_ssl=True
        )
        if alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(alert_email))
        return topic

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        threshold: float,
        description: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            "".join(part.capitalize() for part in name.split("-")),
            alarm_name=c.alarm_name(self.stage, name),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def llm_error_rate(self) -> cw.MathExpression:
        """Percent of LLM calls that failed; 0 when there were no calls (no traffic is not an outage)."""
        return cw.MathExpression(
            expression="IF(calls > 0, 100 * errors / calls, 0)",
            using_metrics={
                "errors": app_metric(MetricName.LLM_ERRORS),
                "calls": app_metric(MetricName.LLM_CALLS),
            },
            period=c.ALARM_PERIOD,
            label="LLM error rate (%)",
        )

    def _llm_alarms(self) -> None:
        rate = self.llm_error_rate()
        latency = app_metric(MetricName.LLM_LATENCY, c.LLM_LATENCY_STATISTIC)
        for level, pct, ms in (
            ("warning", c.LLM_ERROR_RATE_WARNING_PCT, c.LLM_LATENCY_P90_WARNING_MS),
            ("critical", c.LLM_ERROR_RATE_CRITICAL_PCT, c.LLM_LATENCY_P90_CRITICAL_MS),
        ):
            self._alarm(f"llm-error-rate-{level}", rate, pct, f"LLM error rate above {pct}% ({level})")
            self._alarm(f"llm-latency-p90-{level}", latency, ms, f"LLM latency p90 above {ms} ms ({level})")

    def _ocr_alarms(self) -> None:
        latency = app_metric(MetricName.OCR_LATENCY, "p90")
        for level, ms in (
            ("warning", c.OCR_LATENCY_P90_WARNING_MS),
            ("critical", c.OCR_LATENCY_P90_CRITICAL_MS),
        ):
            self._alarm(
                f"ocr-latency-p90-{level}", latency, ms, f"OCR latency p90 above {ms} ms a page ({level})"
            )

    def _queue_alarms(self, queues: Mapping[str, sqs.IQueue], dlqs: Mapping[str, sqs.IQueue]) -> None:
        depth = queues["enrich"].metric_approximate_number_of_messages_visible(
            statistic="Maximum", period=c.ALARM_PERIOD
        )
        for level, threshold in (
            ("warning", c.ENRICH_QUEUE_DEPTH_WARNING),
            ("critical", c.ENRICH_QUEUE_DEPTH_CRITICAL),
        ):
            self._alarm(
                f"enrich-queue-depth-{level}", depth, threshold, f"Enrich backlog above {threshold} ({level})"
            )
        for key, dlq in dlqs.items():
            self._alarm(
                f"{key}-dlq-not-empty",
                dlq.metric_approximate_number_of_messages_visible(statistic="Maximum", period=c.ALARM_PERIOD),
                0,
                f"A {key} message failed 3 times and is in its DLQ: inspect, fix, then doc-enhancer redrive",
            )

    def _sweep_alarms(self, sweeper_dlq: sqs.IQueue | None) -> None:
        """Documents past their step's maximum time (the sweeper counts them each sweep), and sweeps that
        failed or were never delivered."""
        self._alarm(
            "documents-stalled",
            app_metric(MetricName.DOCUMENTS_STALLED, "Maximum"),
            0,
            "A document sat in a non-terminal status longer than its step's maximum time: ended FAILED "
            "(TIMED_OUT), or held back while a queue still has messages; see doc-enhancer list",
        )
        if sweeper_dlq is not None:
            self._alarm(
                "sweeper-dlq-not-empty",
                sweeper_dlq.metric_approximate_number_of_messages_visible(
                    statistic="Maximum", period=c.ALARM_PERIOD
                ),
                0,
                "A sweep failed or was not delivered: stranded documents wait until a sweep succeeds",
            )

    def _function_alarms(self, functions: Mapping[str, EnhancerFunction]) -> None:
        for key, fn in functions.items():
            period = c.ALARM_PERIOD
            self._alarm(
                f"{key}-errors", fn.function.metric_errors(statistic="Sum", period=period), 0, f"{key} errors"
            )
            self._alarm(
                f"{key}-throttles",
                fn.function.metric_throttles(statistic="Sum", period=period),
                0,
                f"{key} throttled (reserved concurrency or account limit)",
            )

    def _dashboard(
        self,
        functions: Mapping[str, EnhancerFunction],
        queues: Mapping[str, sqs.IQueue],
        dlqs: Mapping[str, sqs.IQueue],
    ) -> cw.Dashboard:
        def graph(title: str, metrics: list[cw.IMetric], width: int = 8) -> cw.GraphWidget:
            return cw.GraphWidget(title=title, left=metrics, width=width)

        documents = [
            app_metric(MetricName.DOCUMENTS_RECEIVED),
            app_metric(MetricName.DOCUMENTS_COMPLETED),
            app_metric(MetricName.DOCUMENTS_FAILED),
        ]
        chapters = [app_metric(MetricName.CHAPTERS_ENRICHED), app_metric(MetricName.CHAPTERS_FAILED)]
        latency = [app_metric(MetricName.LLM_LATENCY, stat, f"{stat} (ms)") for stat in ("p50", "p90", "p99")]
        tokens = [app_metric(MetricName.INPUT_TOKENS), app_metric(MetricName.OUTPUT_TOKENS)]
        llm = [
            app_metric(MetricName.LLM_CALLS),
            app_metric(MetricName.CACHE_HITS),
            app_metric(MetricName.LLM_THROTTLES),
        ]
        depths: list[cw.IMetric] = [
            q.metric_approximate_number_of_messages_visible(statistic="Maximum", label=f"{key}")
            for key, q in queues.items()
        ]
        dlq_depths: list[cw.IMetric] = [
            q.metric_approximate_number_of_messages_visible(statistic="Maximum", label=f"{key} DLQ")
            for key, q in dlqs.items()
        ]
        errors: list[cw.IMetric] = [
            fn.function.metric_errors(statistic="Sum", label=f"{key} errors") for key, fn in functions.items()
        ]
        throttles: list[cw.IMetric] = [
            fn.function.metric_throttles(statistic="Sum", label=f"{key} throttles")
            for key, fn in functions.items()
        ]
        dashboard = cw.Dashboard(
            self, "Dashboard", dashboard_name=f"{APP_NAME}-{self.stage}", default_interval=Duration.hours(6)
        )
        dashboard.add_widgets(
            graph("Documents", list(documents)),
            graph("Chapters", list(chapters)),
            graph(
                "Pages extracted / validation failures / stalled documents",
                [
                    app_metric(MetricName.PAGES_EXTRACTED),
                    app_metric(MetricName.VALIDATION_FAILURES),
                    app_metric(MetricName.DOCUMENTS_STALLED, "Maximum"),
                ],
            ),
        )
        dashboard.add_widgets(
            graph("LLM latency", list(latency)),
            graph("LLM error rate (%)", [self.llm_error_rate()]),
            graph("LLM calls, cache hits, throttles", list(llm)),
        )
        dashboard.add_widgets(
            graph("Tokens", list(tokens)),
            graph("Estimated cost (USD)", [app_metric(MetricName.ESTIMATED_COST_USD)]),
            graph("Queue depth", depths),
        )
        dashboard.add_widgets(
            graph("DLQ depth", dlq_depths),
            graph("Function errors", errors),
            graph("Function throttles", throttles),
        )
        dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24))
        return dashboard
