variable "project" {
  description = "Name prefix of every resource."
  type        = string
  default     = "spanishgas"
}

variable "environment" {
  description = "Deployment environment (dev, prod); part of every name and of the metrics namespace."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits or dashes."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "image_tag" {
  description = "Tag of the spanishgas image in ECR (the git sha pushed by deploy.yml; tags are immutable)."
  type        = string
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside the bucket (the lake is s3://<bucket>/<lake_prefix>)."
  type        = string
  default     = "lake"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9/_-]*[a-z0-9]$", var.lake_prefix))
    error_message = "lake_prefix must be a non-empty key prefix without leading or trailing slash."
  }
}

variable "log_level" {
  description = "SPANISHGAS_LOG_LEVEL of the containers."
  type        = string
  default     = "INFO"
}

# ---- network (the VPC is not managed here) ----------------------------------------------------------------
variable "vpc_id" {
  description = "VPC for the tasks and the load balancer."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (with a NAT gateway or VPC endpoints for S3, DynamoDB, ECR, logs, SNS, CloudWatch) for the Fargate tasks."
  type        = list(string)
}

variable "alb_subnet_ids" {
  description = "Subnets of the dashboard load balancer (private subnets when alb_internal, public otherwise)."
  type        = list(string)
}

variable "alb_internal" {
  description = "Whether the dashboard load balancer is internal (reached over VPN / Direct Connect)."
  type        = bool
  default     = true
}

variable "allowed_cidrs" {
  description = "CIDR blocks allowed to reach the dashboard load balancer (office, VPN). Never 0.0.0.0/0."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidrs) > 0 && !contains(var.allowed_cidrs, "0.0.0.0/0")
    error_message = "allowed_cidrs must list the networks that may open the dashboard; 0.0.0.0/0 is refused."
  }
}

variable "acm_certificate_arn" {
  description = "ACM certificate for the dashboard's HTTPS listener."
  type        = string
}

# ---- sizing and schedule ------------------------------------------------------------------------------------
variable "pipeline_cpu" {
  description = "Fargate CPU units of the pipeline task."
  type        = number
  default     = 4096
}

variable "pipeline_memory" {
  description = "Fargate memory (MiB) of the pipeline task."
  type        = number
  default     = 16384
}

variable "pipeline_ephemeral_storage_gib" {
  description = "Fargate ephemeral storage (GiB) for the S3 download cache and DuckDB spill."
  type        = number
  default     = 100
}

variable "dask_workers" {
  description = "Dask workers on Fargate for the pipeline's hourly map (docs/dask.md). 0 (default) = no Dask cluster: the pipeline task runs every map task itself. Above 0, a scheduler and this many workers run as services and the pipeline task uses them (SPANISHGAS_EXECUTOR=dask)."
  type        = number
  default     = 0

  validation {
    condition     = var.dask_workers >= 0 && var.dask_workers <= 100 && floor(var.dask_workers) == var.dask_workers
    error_message = "dask_workers must be a whole number between 0 and 100."
  }
}

variable "dask_worker_cpu" {
  description = "Fargate CPU units of one Dask worker (one map task at a time; DuckDB uses these CPUs)."
  type        = number
  default     = 2048
}

variable "dask_worker_memory" {
  description = "Fargate memory (MiB) of one Dask worker."
  type        = number
  default     = 8192
}

variable "dask_worker_ephemeral_storage_gib" {
  description = "Fargate ephemeral storage (GiB) of one Dask worker: its copies of the raw files and spill."
  type        = number
  default     = 40
}

variable "dask_scheduler_cpu" {
  description = "Fargate CPU units of the Dask scheduler."
  type        = number
  default     = 512
}

variable "dask_scheduler_memory" {
  description = "Fargate memory (MiB) of the Dask scheduler."
  type        = number
  default     = 2048
}

variable "dashboard_cpu" {
  description = "Fargate CPU units of the dashboard task."
  type        = number
  default     = 512
}

variable "dashboard_memory" {
  description = "Fargate memory (MiB) of the dashboard task."
  type        = number
  default     = 2048
}

variable "dashboard_desired_count" {
  description = "Number of dashboard tasks."
  type        = number
  default     = 1
}

variable "retrain_schedule" {
  description = "EventBridge Scheduler expression of the weekly retrain."
  type        = string
  default     = "cron(0 6 ? * MON *)"
}

variable "schedule_timezone" {
  description = "Time zone of the retrain schedule."
  type        = string
  default     = "Europe/Madrid"
}

variable "trigger_on_raw_upload" {
  description = "Start the pipeline when an upload completes, i.e. <lake>/raw/_READY is written (S3 -> EventBridge -> ECS)."
  type        = bool
  default     = true
}

variable "pipeline_timeout_minutes" {
  description = "Time budget of one pipeline run (SPANISHGAS_RUN_TIMEOUT_MINUTES): the task stops itself after it, and a crashed task's 'running' claim expires 10 minutes later."
  type        = number
  default     = 120

  validation {
    condition     = var.pipeline_timeout_minutes >= 10 && var.pipeline_timeout_minutes <= 1440
    error_message = "pipeline_timeout_minutes must be between 10 and 1440."
  }
}

# ---- observability ------------------------------------------------------------------------------------------
variable "log_retention_days" {
  description = "Retention of the container log groups."
  type        = number
  default     = 365
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "drift_alarm_threshold" {
  description = "Alarm when more than this many model input features drifted in a run."
  type        = number
  default     = 0
}

variable "access_log_retention_days" {
  description = "Days to keep S3 and load balancer access logs."
  type        = number
  default     = 365
}

variable "heartbeat_days" {
  description = "Alarm when no pipeline run has succeeded for this many days (CloudWatch allows at most 7 daily periods)."
  type        = number
  default     = 7

  validation {
    condition     = var.heartbeat_days >= 1 && var.heartbeat_days <= 7
    error_message = "heartbeat_days must be between 1 and 7."
  }
}

# ---- dashboard login --------------------------------------------------------------------------------------
variable "dashboard_oidc" {
  description = <<-EOT
    Optional OpenID Connect login in front of the dashboard: the HTTPS listener's authenticate-oidc action
    (Cognito, Entra ID, Okta, Google... any OIDC provider). null (default) = no login, acceptable only while
    allowed_cidrs are private networks: set it BEFORE allowed_cidrs is ever widened. The client secret is a
    separate sensitive variable (dashboard_oidc_client_secret, e.g. TF_VAR_dashboard_oidc_client_secret).
  EOT
  type = object({
    issuer                 = string
    authorization_endpoint = string
    token_endpoint         = string
    user_info_endpoint     = string
    client_id              = string
    scope                  = optional(string, "openid email")
    session_timeout        = optional(number, 28800)
  })
  default = null
}

variable "dashboard_oidc_client_secret" {
  description = "Client secret of the dashboard's OIDC app (only with dashboard_oidc)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.dashboard_oidc_client_secret == null || try(length(var.dashboard_oidc_client_secret) > 0, false)
    error_message = "dashboard_oidc_client_secret must be non-empty when set."
  }
}

# ---- deployment from GitHub Actions (github_oidc.tf) ----------------------------------------------------------
variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow may assume the deploy role; empty = the role is managed elsewhere."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com (one per account)."
  type        = string
  default     = ""
}

variable "github_deploy_policy_arns" {
  description = "Managed policies of the deploy role (what terraform apply and the image push need)."
  type        = list(string)
  default     = []
}
