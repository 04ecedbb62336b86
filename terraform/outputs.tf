output "lake_uri" {
  description = "SPANISHGAS_LAKE of the tasks; upload the raw files under <lake_uri>/raw/."
  value       = local.lake_uri
}

output "lake_bucket" {
  description = "The lake bucket."
  value       = aws_s3_bucket.lake.id
}

output "runs_table" {
  description = "DynamoDB run-history table."
  value       = aws_dynamodb_table.runs.name
}

output "alerts_topic_arn" {
  description = "SNS alerts topic."
  value       = aws_sns_topic.alerts.arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the pipeline metrics."
  value       = local.metrics_namespace
}

output "ecr_repository_url" {
  description = "Push the image here, tagged with the git sha."
  value       = aws_ecr_repository.app.repository_url
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "pipeline_task_definition_arn" {
  description = "Pipeline task definition (run it by hand with aws ecs run-task)."
  value       = aws_ecs_task_definition.pipeline.arn
}

output "pipeline_network" {
  description = "Network configuration to pass to a manual aws ecs run-task."
  value       = local.pipeline_network
}

output "dashboard_url" {
  description = "Dashboard address (point a DNS name covered by the certificate at the load balancer)."
  value       = "https://${aws_lb.dashboard.dns_name}"
}

output "weekly_schedule_arn" {
  description = "EventBridge Scheduler schedule of the weekly retrain."
  value       = aws_scheduler_schedule.weekly_retrain.arn
}

output "github_deploy_role_arn" {
  description = "Role for deploy.yml (AWS_DEPLOY_ROLE_ARN of the GitHub environment), when github_repository is set."
  value       = local.github_deploy ? aws_iam_role.github_deploy[0].arn : null
}

output "dask_scheduler_address" {
  description = "Address of the pipeline's Dask scheduler (null while dask_workers = 0)."
  value       = local.dask_enabled ? local.dask_pipeline_settings["SPANISHGAS_DASK_SCHEDULER"] : null
}
