#!/usr/bin/env bash
# Creates the S3 bucket and the DynamoDB table the service needs on a local endpoint: LocalStack
# (http://localhost:4566, the default) or the npm emulators (s3rver, dynalite). Safe to run again.
#
#   Storage__Aws__Bucket        bucket name             (default images-bucket)
#   Storage__Aws__Table         table name              (default images_metadata)
#   AWS_ENDPOINT_URL_S3         S3 endpoint             (default AWS_ENDPOINT_URL, then http://localhost:4566)
#   AWS_ENDPOINT_URL_DYNAMODB   DynamoDB endpoint       (default AWS_ENDPOINT_URL, then http://localhost:4566)
#   AWS_REGION                  region                  (default AWS_DEFAULT_REGION, then us-east-1)
#   ENDPOINT_WAIT_SECONDS       how long to wait for the endpoints to answer (default 60)
#
# Needs the AWS CLI (v1 or v2) and python3 (for the JSON: the table comes from deploy/template.yaml, the
# definition the AWS deployment uses, and LocalStack's health is read as JSON).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in aws python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "deploy-local.sh needs $tool, which is not on the PATH; see docs/deployment.md." >&2
    exit 127
  fi
done

bucket="${Storage__Aws__Bucket:-images-bucket}"
table="${Storage__Aws__Table:-images_metadata}"
s3_endpoint="${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-http://localhost:4566}}"
dynamodb_endpoint="${AWS_ENDPOINT_URL_DYNAMODB:-${AWS_ENDPOINT_URL:-http://localhost:4566}}"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"

# Local endpoints take any credentials (s3rver wants S3RVER/S3RVER); the CLI insists on having some.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="$region" AWS_REGION="$region"
export AWS_PAGER=""

# Waits until the endpoint answers HTTP at all. LocalStack answers its health path with JSON naming its services, and
# accepts requests before they are ready, so there we also wait for the one this endpoint is for. s3rver and dynalite
# answer that path with an error of their own, which means they are up.
wait_for() {
  local endpoint="$1" service="$2"
  python3 - "$endpoint" "$service" "${ENDPOINT_WAIT_SECONDS:-60}" <<'PY'
import json, sys, time, urllib.error, urllib.request

endpoint, service, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + limit
last = "no answer"
while True:
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_localstack/health", timeout=2) as answer:
            body = answer.read()
    except urllib.error.HTTPError:
        sys.exit(0)  # an HTTP answer that is not LocalStack's health: s3rver, dynalite or another emulator is up
    except (OSError, ValueError) as error:
        last = str(error)
    else:
        try:
            state = json.loads(body).get("services", {}).get(service)
        except (ValueError, AttributeError):
            sys.exit(0)  # not LocalStack's health document
        if state is None or state in ("available", "running"):
            sys.exit(0)
        if state == "disabled":  # it never will be: LocalStack was started without it
            print(f"deploy-local.sh: LocalStack at {endpoint} has {service} disabled; add it to its SERVICES.", file=sys.stderr)
            sys.exit(1)
        last = f"LocalStack reports {service} {state}"
    if time.monotonic() >= deadline:
        print(f"deploy-local.sh: {endpoint} did not get ready for {service} within {limit:g} s ({last}).", file=sys.stderr)
        sys.exit(1)
    time.sleep(1)
PY
}

wait_for "$s3_endpoint" s3
wait_for "$dynamodb_endpoint" dynamodb

if aws --endpoint-url "$s3_endpoint" s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "bucket $bucket already exists at $s3_endpoint"
else
  # S3 (and LocalStack) refuse a bucket outside us-east-1 without its location constraint, and refuse the constraint
  # for us-east-1 itself. (The odd expansion below keeps bash 3.2, macOS's, quiet about an empty array under set -u.)
  location=()
  if [[ "$region" != us-east-1 ]]; then
    location=(--create-bucket-configuration "LocationConstraint=$region")
  fi
  aws --endpoint-url "$s3_endpoint" s3api create-bucket --bucket "$bucket" ${location[@]+"${location[@]}"} >/dev/null
  echo "created bucket $bucket in $region at $s3_endpoint"
fi

if aws --endpoint-url "$dynamodb_endpoint" dynamodb describe-table --table-name "$table" >/dev/null 2>&1; then
  echo "table $table already exists at $dynamodb_endpoint"
else
  # The keys, indexes and billing mode of deploy/template.yaml's table. Point-in-time recovery, time to live and
  # encryption are account features the local endpoints lack.
  definition="$(python3 - "$table" <<'PY'
import json, sys

with open("deploy/template.yaml", encoding="utf-8") as template:
    table = json.load(template)["Resources"]["ImagesTable"]["Properties"]
print(json.dumps({
    "TableName": sys.argv[1],
    "BillingMode": table["BillingMode"],
    "AttributeDefinitions": table["AttributeDefinitions"],
    "KeySchema": table["KeySchema"],
    "GlobalSecondaryIndexes": table["GlobalSecondaryIndexes"],
}))
PY
)"
  aws --endpoint-url "$dynamodb_endpoint" dynamodb create-table --cli-input-json "$definition" >/dev/null
  aws --endpoint-url "$dynamodb_endpoint" dynamodb wait table-exists --table-name "$table"
  echo "created table $table at $dynamodb_endpoint"
fi
