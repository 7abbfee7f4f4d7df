"""API errors: what a caller may see. Each maps to one HTTP status and the fixed body
``{"error": {"code": …, "message": …}}``; nothing else (stack, SDK message, resource name) leaves the API."""

from enum import StrEnum
from http import HTTPStatus


class ApiErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    NOT_A_PDF = "NOT_A_PDF"
    TOO_LARGE = "TOO_LARGE"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    RESULT_NOT_READY = "RESULT_NOT_READY"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ApiError(Exception):
    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    code: ApiErrorCode = ApiErrorCode.INTERNAL

    def __init__(self, message: str, code: ApiErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST
    code = ApiErrorCode.INVALID_REQUEST


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND
    code = ApiErrorCode.NOT_FOUND


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
    code = ApiErrorCode.CONFLICT


class TooLarge(ApiError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = ApiErrorCode.TOO_LARGE


INTERNAL_MESSAGE = "something went wrong on our side; the error is logged"
UNAVAILABLE_MESSAGE = "a backing service is unavailable; try again shortly"
