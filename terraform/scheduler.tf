# Two ways the pipeline task starts, both ECS RunTask of aws_ecs_task_definition.pipeline:
#  1. weekly retrain (EventBridge Scheduler);
#  2. an upload completes: S3 "Object Created" for exactly <lake>/raw/_READY (EventBridge rule). Uploaders put
#     the data files first and raw/_READY last (docs/aws.md; `spanishgas generate` does it), so one upload
#     batch starts ONE task, not one per object. A repeated upload of the same files derives the same run id,
#     which the runs table already holds as succeeded: that task exits at once (dataflow/aws/run_history.py).

locals {
  # tests/test_aws_trigger.py evaluates this very pattern against the keys of an upload on a moto server
  raw_ready_event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.lake.id] }
      object = { key = ["${local.lake_key_prefix}raw/_READY"] }
    }
  }

  # tests/test_aws_trigger.py sends ECS task-state events through this pattern on a moto server
  pipeline_task_failed_event_pattern = {
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn        = [aws_ecs_cluster.main.arn]
      taskDefinitionArn = [{ prefix = "${aws_ecs_task_definition.pipeline.arn_without_revision}:" }]
      lastStatus        = ["STOPPED"]
      # a clean run ends with stopCode EssentialContainerExited and exit code 0; anything else is a failure:
      # TaskFailedToStart (image pull, capacity), UserInitiated / ServiceSchedulerInitiated (SIGTERM), exit 1, 137 (OOM)
      "$or" = [
        { stopCode = [{ "anything-but" = "EssentialContainerExited" }] },
        { containers = { exitCode = [{ "anything-but" = 0 }] } },
      ]
    }
  }

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
  name          = "${local.name}-raw-uploaded"
  description   = "An upload to the lake's raw/ completed (its raw/_READY marker was written)"
  state         = var.trigger_on_raw_upload ? "ENABLED" : "DISABLED"
  event_pattern = jsonencode(local.raw_ready_event_pattern)
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

}

# ---- failures no metric reports: OOM kill, image pull error, essential container exit, SIGTERM -------------------
# ECS emits "ECS Task State Change" for every task; a STOPPED pipeline task whose container exited non-zero (or
# never got an exit code: pull failure, OOM) goes to the alerts topic. Successful runs (exit 0) stay quiet.
resource "aws_cloudwatch_event_rule" "pipeline_task_failed" {
  name          = "${local.name}-pipeline-task-failed"
  description   = "A pipeline task stopped with a non-zero exit code or for another reason than its container exiting"
  event_pattern = jsonencode(local.pipeline_task_failed_event_pattern)
}

resource "aws_cloudwatch_event_target" "pipeline_task_failed_alert" {
  rule = aws_cloudwatch_event_rule.pipeline_task_failed.name
  arn  = aws_sns_topic.alerts.arn

  # only what identifies the task and why it stopped: no environment, no data
  input_transformer {
    input_paths = {
      task     = "$.detail.taskArn"
      reason   = "$.detail.stoppedReason"
      code     = "$.detail.stopCode"
      exitCode = "$.detail.containers[0].exitCode"
      group    = "$.detail.group"
    }
    input_template = <<-EOT
      "SpanishGas pipeline task <task> (<group>) stopped: <code> / <reason>; exit code <exitCode>. Logs: ${aws_cloudwatch_log_group.pipeline.name}"
    EOT
  }

  dead_letter_config {
    arn = aws_sqs_queue.trigger_dlq.arn
  }
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
      values   = [aws_cloudwatch_event_rule.raw_uploaded.arn, aws_cloudwatch_event_rule.pipeline_task_failed.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "trigger_dlq" {
  queue_url = aws_sqs_queue.trigger_dlq.id
  policy    = data.aws_iam_policy_document.trigger_dlq.json
}
