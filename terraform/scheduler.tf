# Two ways the pipeline task starts, both ECS RunTask of aws_ecs_task_definition.pipeline:
#  1. weekly retrain (EventBridge Scheduler);
#  2. S3 "Object Created" under <lake>/raw/ (EventBridge rule). Seven uploads start seven tasks, but they
#     all derive the same run id from the same inputs and claim it in the runs table: one runs, the others
#     see "in_progress"/"already_succeeded" and exit (dataflow/aws/run_history.py).

locals {
  pipeline_network = {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.pipeline.id]
    assign_public_ip = false
  }
}

resource "aws_scheduler_schedule_group" "main" {
  name = local.name
}

resource "aws_scheduler_schedule" "weekly_retrain" {
  name                         = "${local.name}-weekly-retrain"
  group_name                   = aws_scheduler_schedule_group.main.name
  description                  = "Weekly retrain and scoring run of the churn pipeline"
  schedule_expression          = var.retrain_schedule
  schedule_expression_timezone = var.schedule_timezone
  kms_key_arn                  = aws_kms_key.main.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.pipeline.arn
      launch_type         = "FARGATE"
      platform_version    = "LATEST"
      task_count          = 1
      tags                = { Trigger = "weekly-schedule" }

      network_configuration {
        subnets          = local.pipeline_network.subnets
        security_groups  = local.pipeline_network.security_groups
        assign_public_ip = local.pipeline_network.assign_public_ip
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.trigger_dlq.arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "raw_uploaded" {
  name        = "${local.name}-raw-uploaded"
  description = "An object was created under the lake's raw/ prefix"
  state       = var.trigger_on_raw_upload ? "ENABLED" : "DISABLED"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.lake.id] }
      object = { key = [{ prefix = "${local.lake_key_prefix}raw/" }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "raw_uploaded_pipeline" {
  rule     = aws_cloudwatch_event_rule.raw_uploaded.name
  arn      = aws_ecs_cluster.main.arn
  role_arn = aws_iam_role.events.arn

  ecs_target {
    task_definition_arn = aws_ecs_task_definition.pipeline.arn
    launch_type         = "FARGATE"
    platform_version    = "LATEST"
    task_count          = 1
    tags                = { Trigger = "raw-upload" }

    network_configuration {
      subnets          = local.pipeline_network.subnets
      security_groups  = local.pipeline_network.security_groups
      assign_public_ip = local.pipeline_network.assign_public_ip
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.trigger_dlq.arn
  }

  # an upload of the seven files fires seven events: each task first waits until raw/ has been quiet for
  # 90 s, then all of them compute the same run id and only the first claim runs (the others are no-ops)
  input = jsonencode({
    containerOverrides = [{ name = "pipeline", command = ["run", "--settle", "90"] }]
  })
}

# ---- dead letters of both triggers ---------------------------------------------------------------------------
resource "aws_sqs_queue" "trigger_dlq" {
  name                              = "${local.name}-pipeline-trigger-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 3600
}

data "aws_iam_policy_document" "trigger_dlq" {
  statement {
    sid       = "EventBridgeRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.trigger_dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.raw_uploaded.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "trigger_dlq" {
  queue_url = aws_sqs_queue.trigger_dlq.id
  policy    = data.aws_iam_policy_document.trigger_dlq.json
}
