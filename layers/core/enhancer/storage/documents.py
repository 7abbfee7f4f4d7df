"""The documents table: one item per document, every status change a conditional write.

Fan-in relies on DynamoDB's atomic ``ADD`` to number sets: each enrichment adds its chapter index and reads
back the new sets in the same call, so exactly one view of "the set is complete" exists per update, and the
conditional ENRICHING → VALIDATING transition picks the single caller that sends the validate message.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from enhancer.errors import PermanentError
from enhancer.models import DocumentRecord, DocumentStatus, ErrorCode
from enhancer.models.enums import ALLOWED_TRANSITIONS
from enhancer.models.result import Usage
from enhancer.resources import table
from enhancer.storage.errors import convert, error_code

STATUS_INDEX = table("documents").gsis[0].name
_SETS = ("chapters_done", "chapters_failed", "pages_done")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def record_to_item(record: DocumentRecord) -> dict[str, Any]:
    plain = record.model_dump(mode="json", exclude_none=True)
    for name in _SETS:
        values = plain.pop(name, [])
        if values:  # DynamoDB has no empty sets
            plain[name] = set(values)
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in plain.items()}


def item_to_record(item: dict[str, Any]) -> DocumentRecord:
    plain = {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}
    return DocumentRecord.model_validate(plain)


class DocumentStore:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        if not table_name:
            raise PermanentError("documents table name is empty (DOCUMENTS_TABLE)", code=ErrorCode.INTERNAL)
        self.table_name = table_name
        self._ddb: Any = client or boto3.client("dynamodb")

    def get(self, document_id: str) -> DocumentRecord | None:
        try:
            item = self._ddb.get_item(
                TableName=self.table_name, Key={"document_id": {"S": document_id}}, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"get document {document_id}") from exc
        return item_to_record(item) if item else None

    def create_if_absent(self, record: DocumentRecord) -> bool:
        """Put the item unless one exists; False when it was already there (a duplicate event)."""
        try:
            self._ddb.put_item(
                TableName=self.table_name,
                Item=record_to_item(record),
                ConditionExpression="attribute_not_exists(document_id)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise convert(exc, f"create document {record.document_id}") from exc
        except BotoCoreError as exc:
            raise convert(exc, f"create document {record.document_id}") from exc
        return True

    def transition(
        self,
        document_id: str,
        from_statuses: DocumentStatus | Iterable[DocumentStatus],
        to: DocumentStatus,
        **fields: Any,
    ) -> bool:
        """Move the status forward when it is one of ``from_statuses``, setting ``fields`` in the same write.

        False when the condition fails (another caller moved it first, or it is already past that point).
        A transition the status machine forbids is a programming error and raises.
        """
        sources = [from_statuses] if isinstance(from_statuses, DocumentStatus) else list(from_statuses)
        for source in sources:
            if to not in ALLOWED_TRANSITIONS[source]:
                raise ValueError(f"transition {source} -> {to} is not allowed")
        values: dict[str, Any] = {"status": to.value, "updated_at": utcnow().isoformat()}
        values.update({k: v for k, v in fields.items() if v is not None})
        removed = [k for k, v in fields.items() if v is None]
        names = {f"#f{i}": name for i, name in enumerate(values)}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        attr_values = {
            f":v{i}": _serializer.serialize(_to_dynamo(_plain(v))) for i, v in enumerate(values.values())
        }
        expression = f"SET {sets}"
        if removed:
            names.update({f"#r{i}": name for i, name in enumerate(removed)})
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        names["#status"] = "status"
        attr_values.update({f":s{i}": {"S": s.value} for i, s in enumerate(sources)})
        condition = "#status IN (" + ", ".join(f":s{i}" for i in range(len(sources))) + ")"
        updated = self._update_if(
            document_id,
            f"transition {document_id} to {to}",
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attr_values,
        )
        return updated is not None

    def record_chapter(
        self, document_id: str, chapter_index: int, *, failed: bool, usage: Usage | None = None
    ) -> DocumentRecord:
        """Add the chapter to the done or failed set (and its usage to the totals) in one atomic update;
        returns the record as it is after this update."""
        usage = usage or Usage()
        return self._add_to_existing(
            document_id,
            "ADD #set :i, llm_calls :calls, cache_hits :hits, input_tokens :in, "
            "output_tokens :out, estimated_cost_usd :cost SET updated_at = :now",
            {
                ":i": {"NS": [str(chapter_index)]},
                ":calls": {"N": str(usage.llm_calls)},
                ":hits": {"N": str(usage.cache_hits)},
                ":in": {"N": str(usage.input_tokens)},
                ":out": {"N": str(usage.output_tokens)},
                ":cost": {"N": str(Decimal(str(usage.estimated_cost_usd)))},
            },
            names={"#set": "chapters_failed" if failed else "chapters_done"},
            action=f"record chapter {chapter_index} of {document_id}",
        )

    def _add_to_existing(
        self,
        document_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        action: str,
        names: dict[str, str] | None = None,
    ) -> DocumentRecord:
        """One atomic ADD/SET on an existing document; the record as this update left it."""
        item = self._update_if(
            document_id,
            action,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(document_id)",
            **({"ExpressionAttributeNames": names} if names else {}),
            ExpressionAttributeValues={**values, ":now": {"S": utcnow().isoformat()}},
            ReturnValues="ALL_NEW",
        )
        if item is None:
            raise PermanentError(f"document {document_id} does not exist", code=ErrorCode.INTERNAL)
        return item_to_record(item)

    def _update_if(self, document_id: str, action: str, **request: Any) -> dict[str, Any] | None:
        """``UpdateItem`` on one document; None when its condition fails (someone else got there first),
        else the returned attributes (empty unless ``ReturnValues`` asks). SDK errors become ours."""
        try:
            response = self._ddb.update_item(
                TableName=self.table_name, Key={"document_id": {"S": document_id}}, **request
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise convert(exc, action) from exc
        except BotoCoreError as exc:
            raise convert(exc, action) from exc
        attributes: dict[str, Any] = response.get("Attributes", {})
        return attributes

    def claim_fan_in(self, document_id: str, chapter_index: int) -> bool:
        """ENRICHING → VALIDATING, claimed by the chapter whose update completed the set.

        True for exactly one caller: the first to claim, or a retry of that same chapter (its validate
        message may not have gone out before it crashed). Everyone else gets False and sends nothing."""
        claimed = self._update_if(
            document_id,
            f"claim fan-in of {document_id}",
            UpdateExpression="SET #status = :to, fan_in_chapter = :i, updated_at = :now",
            ConditionExpression="#status = :from OR (#status = :to AND fan_in_chapter = :i)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":from": {"S": DocumentStatus.ENRICHING.value},
                ":to": {"S": DocumentStatus.VALIDATING.value},
                ":i": {"N": str(chapter_index)},
                ":now": {"S": utcnow().isoformat()},
            },
        )
        return claimed is not None

    def add_llm_requests(self, document_id: str, chapter_index: int, requests: int) -> None:
        """Count LLM requests a failed receive of one chapter sent, against its budget across receives."""
        self._add_to_existing(
            document_id,
            "SET llm_requests.#i = if_not_exists(llm_requests.#i, :zero) + :n, updated_at = :now",
            {":zero": {"N": "0"}, ":n": {"N": str(requests)}},
            names={"#i": str(chapter_index)},
            action=f"count LLM requests of chapter {chapter_index} of {document_id}",
        )

    def set_result_key(self, document_id: str, key: str) -> None:
        """Record where a finished document's result JSON is (after it was written)."""
        self._add_to_existing(
            document_id,
            "SET result_key = :key, updated_at = :now",
            {":key": {"S": key}},
            action=f"set the result key of {document_id}",
        )

    def claim_validation(self, document_id: str, token: str, lease_s: int) -> bool:
        """The right to finish a VALIDATING document, for one validate message (``token``): True for the
        first claimer, for the same message again (redelivered after a crash), and for anyone once the
        holder's lease has run out (it died and its message was lost); False otherwise."""
        now = utcnow()
        claimed = self._update_if(
            document_id,
            f"claim validation of {document_id}",
            UpdateExpression=(
                "SET validation_claim = :token, validation_claim_expires = :until, updated_at = :now"
            ),
            ConditionExpression=(
                "#status = :validating AND (attribute_not_exists(validation_claim) "
                "OR validation_claim = :token OR validation_claim_expires < :now)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":validating": {"S": DocumentStatus.VALIDATING.value},
                ":token": {"S": token},
                ":until": {"S": (now + timedelta(seconds=lease_s)).isoformat()},
                ":now": {"S": now.isoformat()},
            },
        )
        return claimed is not None

    # --- huge documents: page ranges extracted in parallel, then one fan-in ----------------------------

    def plan_page_tasks(self, document_id: str, task_count: int, *, page_count: int, sha256: str) -> bool:
        """Record how many page ranges an EXTRACTING document was split into (with its page count and hash,
        which a failed result carries); False when it is no longer EXTRACTING. Done ranges are kept: a
        retried fan-out plans the same ranges again."""
        return self._update_extracting(
            document_id,
            "SET page_tasks = :n, page_count = :pages, sha256 = :sha, updated_at = :now",
            {":n": {"N": str(task_count)}, ":pages": {"N": str(page_count)}, ":sha": {"S": sha256}},
        )

    def record_page_range(self, document_id: str, first_page: int) -> DocumentRecord:
        """Add the range (by its first page) to ``pages_done`` in one atomic update; returns the record as it
        is after this update, so exactly one view of "the set is complete" exists per update."""
        return self._add_to_existing(
            document_id,
            "ADD pages_done :p SET updated_at = :now",
            {":p": {"NS": [str(first_page)]}},
            action=f"record pages from {first_page} of {document_id}",
        )

    def claim_pages_fan_in(self, document_id: str, first_page: int) -> bool:
        """The right to assemble the chapters of a fanned-out extraction, for the range whose update
        completed the set: True for the first claimer and for a retry of that same range (it may have died
        mid-assembly), False for everyone else and once the document has left EXTRACTING."""
        return self._update_extracting(
            document_id,
            "SET pages_fan_in = :p, updated_at = :now",
            {":p": {"N": str(first_page)}},
            extra_condition="(attribute_not_exists(pages_fan_in) OR pages_fan_in = :p)",
        )

    def _update_extracting(
        self, document_id: str, expression: str, values: dict[str, Any], *, extra_condition: str = ""
    ) -> bool:
        condition = "#status = :extracting" + (f" AND {extra_condition}" if extra_condition else "")
        updated = self._update_if(
            document_id,
            f"update extraction of {document_id}",
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                **values,
                ":extracting": {"S": DocumentStatus.EXTRACTING.value},
                ":now": {"S": utcnow().isoformat()},
            },
        )
        return updated is not None

    def list_by_status(
        self, status: DocumentStatus, *, limit: int = 50, newest_first: bool = True
    ) -> list[DocumentRecord]:
        try:
            response = self._ddb.query(
                TableName=self.table_name,
                IndexName=STATUS_INDEX,
                KeyConditionExpression="#status = :s",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":s": {"S": status.value}},
                ScanIndexForward=not newest_first,
                Limit=limit,
            )
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"list documents in {status}") from exc
        return [item_to_record(item) for item in response.get("Items", [])]

    # --- the API's reprocess and paginated listing -----------------------------------------------------

    def reset_for_reprocess(self, document_id: str) -> DocumentRecord | None:
        """Terminal → RECEIVED with ``run`` + 1 and the previous run's progress cleared, in one conditional
        write; None when the document is not terminal (still running) or does not exist. The only backward
        move of the status machine, and only ever from a finished document."""
        terminal = [DocumentStatus.COMPLETED, DocumentStatus.PARTIAL, DocumentStatus.FAILED]
        item = self._update_if(
            document_id,
            f"reset document {document_id}",
            UpdateExpression=(
                "SET #status = :received, updated_at = :now, #run = if_not_exists(#run, :zero) + :one, "
                "llm_requests = :empty, "
                "llm_calls = :zero, cache_hits = :zero, input_tokens = :zero, output_tokens = :zero, "
                "estimated_cost_usd = :zero "
                "REMOVE chapters_done, chapters_failed, chapter_count, fan_in_chapter, result_key, "
                "error_code, error_message, page_tasks, pages_done, pages_fan_in, validation_claim, "
                "validation_claim_expires"
            ),
            ConditionExpression="#status IN (:t0, :t1, :t2)",
            ExpressionAttributeNames={"#status": "status", "#run": "run"},
            ExpressionAttributeValues={
                ":received": {"S": DocumentStatus.RECEIVED.value},
                ":now": {"S": utcnow().isoformat()},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":empty": {"M": {}},
                **{f":t{i}": {"S": s.value} for i, s in enumerate(terminal)},
            },
            ReturnValues="ALL_NEW",
        )
        return None if item is None else item_to_record(item)

    def page(
        self, status: DocumentStatus | None, *, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[DocumentRecord], dict[str, Any] | None]:
        """One page of documents and the key to continue from (None at the end): newest first through the
        status index when ``status`` is given, else a table scan in no particular order."""
        kwargs: dict[str, Any] = {"TableName": self.table_name, "Limit": limit}
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        try:
            if status is None:
                response = self._ddb.scan(**kwargs)
            else:
                response = self._ddb.query(
                    **kwargs,
                    IndexName=STATUS_INDEX,
                    KeyConditionExpression="#status = :s",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":s": {"S": status.value}},
                    ScanIndexForward=False,
                )
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"list documents ({status or 'all'})") from exc
        records = [item_to_record(item) for item in response.get("Items", [])]
        return records, response.get("LastEvaluatedKey")

    def describe(self) -> str:
        """The table's status (ACTIVE when healthy): a cheap reachability check."""
        try:
            return str(self._ddb.describe_table(TableName=self.table_name)["Table"]["TableStatus"])
        except (ClientError, BotoCoreError) as exc:
            raise convert(exc, f"describe table {self.table_name}") from exc


def _plain(value: Any) -> Any:
    """Values for an update expression as JSON-like data (enums → str, datetimes → ISO, models → dicts)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value
