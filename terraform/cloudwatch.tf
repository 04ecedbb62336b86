resource "aws_cloudwatch_log_group" "pipeline" {
  name              = "/ecs/${local.name}/pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "dashboard" {
  name              = "/ecs/${local.name}/dashboard"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Alarms on the metrics the pipeline puts (dataflow/aws/alerts.py: namespace SpanishGas/<env>, dimension Lake).
locals {
  alarms = {
    run-failed = {
      metric    = "RunFailed"
      threshold = 0
      text      = "A pipeline run failed: its run id can be retried (upload again or wait for the schedule)."
    }
    gate-failed = {
      metric    = "GateFailed"
      threshold = 0
      text      = "A quality or promotion gate failed: the run was not published, or the previous champion keeps serving."
    }
    features-drifted = {
      metric    = "FeaturesDrifted"
      threshold = var.drift_alarm_threshold
      text      = "Model input features drifted versus the champion's reference."
    }
    prediction-drifted = {
      metric    = "PredictionDrifted"
      threshold = 0
      text      = "The distribution of predicted churn probabilities drifted versus the champion's training data."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each            = local.alarms
  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.text
  namespace           = local.metrics_namespace
  metric_name         = each.value.metric
  dimensions          = { Lake = local.lake_uri }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

# A pipeline start that EventBridge could not deliver (e.g. no Fargate capacity) lands in the DLQ.
resource "aws_cloudwatch_metric_alarm" "trigger_dlq" {
  alarm_name          = "${local.name}-pipeline-trigger-dlq"
  alarm_description   = "A scheduled or upload-triggered pipeline start could not be delivered to ECS."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.trigger_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# Heartbeat: the pipeline puts RunSucceeded=1 after every published run. No data point for N days (no upload,
# the schedule broken, every run failing before it could say so) is itself the alarm: missing data breaches.
resource "aws_cloudwatch_metric_alarm" "no_successful_run" {
  alarm_name          = "${local.name}-no-successful-run"
  alarm_description   = "No pipeline run has succeeded for ${var.heartbeat_days} day(s): check the schedule, the uploads and the task log."
  namespace           = local.metrics_namespace
  metric_name         = "RunSucceeded"
  dimensions          = { Lake = local.lake_uri }
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = var.heartbeat_days
  datapoints_to_alarm = var.heartbeat_days
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}
