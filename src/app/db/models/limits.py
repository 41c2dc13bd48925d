"""Field limits shared by the models (database constraints) and the schemas (request validation)."""

NAME_MAX = 255
LONG_TEXT_MAX = 10_000
SLUG_MAX = 100
ISBN_LENGTH = 13
PUBLISHED_YEAR_MIN = -3000
EMAIL_MAX = 320
TOKEN_NAME_MAX = 100
