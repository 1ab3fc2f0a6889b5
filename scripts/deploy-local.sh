#!/usr/bin/env bash
# Creates the S3 bucket and the DynamoDB table the service needs on a local endpoint: LocalStack
# (http://localhost:4566, the default) or the npm emulators (s3rver, dynalite). Safe to run again.
#
#   Storage__Aws__Bucket        bucket name             (default images-bucket)
#   Storage__Aws__Table         table name              (default images_metadata)
#   AWS_ENDPOINT_URL_S3         S3 endpoint             (default AWS_ENDPOINT_URL, then http://localhost:4566)
#   AWS_ENDPOINT_URL_DYNAMODB   DynamoDB endpoint       (default AWS_ENDPOINT_URL, then http://localhost:4566)
#
# The table comes from deploy/template.yaml, the definition the AWS deployment uses.
set -euo pipefail
cd "$(dirname "$0")/.."

bucket="${Storage__Aws__Bucket:-images-bucket}"
table="${Storage__Aws__Table:-images_metadata}"
s3_endpoint="${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-http://localhost:4566}}"
dynamodb_endpoint="${AWS_ENDPOINT_URL_DYNAMODB:-${AWS_ENDPOINT_URL:-http://localhost:4566}}"

# Local endpoints take any credentials (s3rver wants S3RVER/S3RVER); the CLI insists on having some.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
export AWS_PAGER=""

if aws --endpoint-url "$s3_endpoint" s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "bucket $bucket already exists at $s3_endpoint"
else
  aws --endpoint-url "$s3_endpoint" s3api create-bucket --bucket "$bucket" >/dev/null
  echo "created bucket $bucket at $s3_endpoint"
fi

if aws --endpoint-url "$dynamodb_endpoint" dynamodb describe-table --table-name "$table" >/dev/null 2>&1; then
  echo "table $table already exists at $dynamodb_endpoint"
else
  aws --endpoint-url "$dynamodb_endpoint" dynamodb create-table \
    --cli-input-json "$(node scripts/table-definition.mjs "$table")" >/dev/null
  aws --endpoint-url "$dynamodb_endpoint" dynamodb wait table-exists --table-name "$table"
  echo "created table $table at $dynamodb_endpoint"
fi
