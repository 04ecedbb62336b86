#!/bin/bash
# LocalStack ready hook: create the lake bucket, the runs table and the alerts topic (idempotent).
# The table's key schema is the one in dataflow/aws/run_history.py (table_spec) and terraform/dynamodb.tf;
# tests/test_infra.py checks the three agree. Names default to those in docker-compose.yml.
set -euo pipefail

BUCKET="${SPANISHGAS_BUCKET:-spanishgas-lake}"
TABLE="${SPANISHGAS_TABLE:-spanishgas-runs}"
TOPIC="${SPANISHGAS_TOPIC:-spanishgas-alerts}"
REGION="${AWS_DEFAULT_REGION:-eu-west-1}"

if ! awslocal s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1; then
  awslocal s3api create-bucket --bucket "$BUCKET" --region "$REGION" \
    --create-bucket-configuration "LocationConstraint=$REGION"
fi

if ! awslocal dynamodb describe-table --table-name "$TABLE" --region "$REGION" >/dev/null 2>&1; then
  awslocal dynamodb create-table --region "$REGION" \
    --table-name "$TABLE" \
    --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=run_id,AttributeType=S AttributeName=kind,AttributeType=S AttributeName=started_at,AttributeType=S \
    --key-schema AttributeName=run_id,KeyType=HASH \
    --global-secondary-indexes '[{"IndexName": "by_started", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "started_at", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]'
fi

awslocal sns create-topic --name "$TOPIC" --region "$REGION"
echo "spanishgas: bucket $BUCKET, table $TABLE, topic $TOPIC ready in $REGION"
