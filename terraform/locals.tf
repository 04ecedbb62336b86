locals {
  name              = "${var.project}-${var.environment}"
  account_id        = data.aws_caller_identity.current.account_id
  partition         = data.aws_partition.current.partition
  lake_bucket       = "${local.name}-lake-${local.account_id}"
  lake_key_prefix   = "${var.lake_prefix}/"
  lake_uri          = "s3://${local.lake_bucket}/${var.lake_prefix}"
  metrics_namespace = "SpanishGas/${var.environment}"
  image             = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
  pipeline_image    = "${aws_ecr_repository.app.repository_url}:${var.image_tag}-pipeline" # Dockerfile target pipeline

  # The whole configuration of the containers: exactly the variables the app reads
  # (dataflow/config.py APP_ENV_VARS without the emulator-only AWS_ENDPOINT_URL and SPANISHGAS_SCRATCH, whose default,
  # the system temp dir /tmp, is the task's writable scratch volume; the root filesystem is read-only).
  # tests/test_infra.py fails if this map and the app drift apart.
  app_environment = {
    SPANISHGAS_LAKE                = local.lake_uri
    SPANISHGAS_RUNS_TABLE          = aws_dynamodb_table.runs.name
    SPANISHGAS_ALERTS_TOPIC_ARN    = aws_sns_topic.alerts.arn
    SPANISHGAS_METRICS_NAMESPACE   = local.metrics_namespace
    SPANISHGAS_LOG_LEVEL           = var.log_level
    SPANISHGAS_RUN_TIMEOUT_MINUTES = tostring(var.pipeline_timeout_minutes)
    AWS_REGION                     = var.region
  }
  container_environment = [for k in sort(keys(local.app_environment)) : { name = k, value = local.app_environment[k] }]
  # the pipeline task adds the Dask settings when the optional cluster exists (dask.tf; else it runs the map itself)
  pipeline_environment = [for k, v in merge(local.app_environment, local.dask_environment) : { name = k, value = v }]
}
