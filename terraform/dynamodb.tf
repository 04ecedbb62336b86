# Run history: one item per run id, claimed with conditional writes (dataflow/aws/run_history.py).
# Key schema shared with run_history.py (HASH_KEY, LIST_INDEX*) and localstack/init/ready.d/10-init.sh.
resource "aws_dynamodb_table" "runs" {
  name                        = "${local.name}-runs"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "run_id"
  deletion_protection_enabled = true

  attribute {
    name = "run_id"
    type = "S"
  }

  attribute {
    name = "kind"
    type = "S"
  }

  attribute {
    name = "started_at"
    type = "S"
  }

  # list_runs(): Query newest first, never a full-table Scan.
  global_secondary_index {
    name            = "by_started"
    hash_key        = "kind"
    range_key       = "started_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}
