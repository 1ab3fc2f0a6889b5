#!/usr/bin/env bash
# Deploys the image service to AWS: API Gateway (HTTP API) -> Lambda (the app behind the Lambda Web
# Adapter) -> S3 + DynamoDB, as described in deploy/template.yaml. Prints the API URL.
#
#   bash scripts/deploy.sh [Parameter=Value ...]
#
# Arguments are more template parameters, for example WebAppOrigins=https://app.example.com AllowSelfSignUp=true
# (docs/deployment.md lists them). Parameters not given keep the value of the stack's last deployment, or the default.
#
#   STACK_NAME       CloudFormation stack              (default image-service)
#   ARTIFACT_BUCKET  existing bucket for the code zip  (required)
#   BUCKET_NAME      image bucket to create            (default images-bucket-<account>-<region>; names are global)
#   TABLE_NAME       DynamoDB table to create          (default images_metadata)
#   NATIVE_AOT       1 to publish with Native AOT      (default 0; faster cold starts, needs gcc or clang and a
#                    build machine whose glibc is no newer than Lambda's, see docs/deployment.md). Deploys with
#                    Package=NativeAot: the OS-only runtime provided.al2023 starts the package's bootstrap.
#   AWS_REGION / AWS_PROFILE as usual for the AWS CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

for parameter in "$@"; do
  if [[ "$parameter" != *=* ]]; then
    echo "deploy.sh: '$parameter' is not Parameter=Value." >&2
    exit 2
  fi
done

: "${ARTIFACT_BUCKET:?set ARTIFACT_BUCKET to an S3 bucket the code package can be uploaded to}"
stack="${STACK_NAME:-image-service}"
account="$(aws sts get-caller-identity --query Account --output text)"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}"
if [[ -z "$region" ]]; then
  echo "No AWS region: set AWS_REGION (or configure a default with 'aws configure')." >&2
  exit 2
fi
export AWS_REGION="$region"
bucket="${BUCKET_NAME:-images-bucket-${account}-${region}}"
table="${TABLE_NAME:-images_metadata}"

rm -rf artifacts/lambda
# The template's Package parameter must match the publish: it picks the runtime and handler that can start it.
if [[ "${NATIVE_AOT:-0}" == 1 ]]; then
  dotnet publish src/ImageService -c Release -r linux-x64 -p:PublishAot=true -o artifacts/lambda
  package=NativeAot
  if [[ ! -x artifacts/lambda/bootstrap ]]; then
    echo "deploy.sh: the Native AOT publish has no executable bootstrap, which provided.al2023 needs." >&2
    exit 1
  fi
else
  dotnet publish src/ImageService -c Release -r linux-x64 -o artifacts/lambda
  package=ReadyToRun
fi

aws cloudformation package \
  --template-file deploy/template.yaml \
  --s3-bucket "$ARTIFACT_BUCKET" \
  --output-template-file artifacts/packaged.yaml

aws cloudformation deploy \
  --template-file artifacts/packaged.yaml \
  --stack-name "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --parameter-overrides "BucketName=$bucket" "TableName=$table" "Package=$package" "$@"

aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text
