# Optional Dask cluster for the pipeline's map steps (docs/dask.md): OFF unless dask_workers > 0.
#   pipeline task (the coordinator: `spanishgas run`, SPANISHGAS_EXECUTOR=dask) --8786--> scheduler
#   pipeline task --8788--> workers (results come back from the workers directly)
#   workers --8786--> scheduler; scheduler --8788/8789--> workers (worker / nanny); workers <--8788--> workers
#   scheduler and workers: the same image as the pipeline task (`dask scheduler` / `dask worker`), no public IP.
# The scheduler is found by name: Cloud Map registers it as dask-scheduler.<local.dask_namespace>.

locals {
  dask_enabled        = var.dask_workers > 0
  dask_namespace      = "${local.name}.dask.internal"
  dask_scheduler_host = "dask-scheduler.${local.dask_namespace}"
  dask_scheduler_port = 8786
  dask_dashboard_port = 8787 # the scheduler's HTTP endpoint (/health; the Bokeh dashboard is not installed)
  dask_worker_port    = 8788
  dask_nanny_port     = 8789
  # what the pipeline task adds to its environment when the cluster exists (dataflow/driver.py reads these)
  dask_pipeline_settings = {
    SPANISHGAS_EXECUTOR       = "dask"
    SPANISHGAS_DASK_SCHEDULER = "tcp://${local.dask_scheduler_host}:${local.dask_scheduler_port}"
  }
  dask_environment = local.dask_enabled ? local.dask_pipeline_settings : {}
}

resource "aws_cloudwatch_log_group" "dask" {
  count             = local.dask_enabled ? 1 : 0
  name              = "/ecs/${local.name}/dask"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_service_discovery_private_dns_namespace" "dask" {
  count       = local.dask_enabled ? 1 : 0
  name        = local.dask_namespace
  description = "Finds the Dask scheduler of the pipeline by name"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "dask_scheduler" {
  count = local.dask_enabled ? 1 : 0
  name  = "dask-scheduler"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.dask[0].id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

# ---- scheduler: one long-running task -------------------------------------------------------------------------
resource "aws_ecs_task_definition" "dask_scheduler" {
  count                    = local.dask_enabled ? 1 : 0
  family                   = "${local.name}-dask-scheduler"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.dask_scheduler_cpu
  memory                   = var.dask_scheduler_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.dask[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([{
    name                   = "dask-scheduler"
    image                  = local.pipeline_image
    essential              = true
    entryPoint             = ["dask"]
    command                = ["scheduler", "--port", tostring(local.dask_scheduler_port), "--dashboard-address", ":${local.dask_dashboard_port}"]
    environment            = local.container_environment
    readonlyRootFilesystem = true
    portMappings = [
      { containerPort = local.dask_scheduler_port, protocol = "tcp" },
      { containerPort = local.dask_dashboard_port, protocol = "tcp" },
    ]
    mountPoints = [{ sourceVolume = "scratch", containerPath = "/tmp", readOnly = false }]
    healthCheck = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.dask_dashboard_port}/health', timeout=4)"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.dask[0].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "scheduler"
      }
    }
  }])
}

resource "aws_ecs_service" "dask_scheduler" {
  count                  = local.dask_enabled ? 1 : 0
  name                   = "${local.name}-dask-scheduler"
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.dask_scheduler[0].arn
  desired_count          = 1
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.dask_scheduler[0].id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.dask_scheduler[0].arn
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

# ---- workers: dask_workers single-process tasks, the same image -------------------------------------------------
resource "aws_ecs_task_definition" "dask_worker" {
  count                    = local.dask_enabled ? 1 : 0
  family                   = "${local.name}-dask-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.dask_worker_cpu
  memory                   = var.dask_worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.dask[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  ephemeral_storage {
    size_in_gib = var.dask_worker_ephemeral_storage_gib
  }

  volume {
    name = "scratch" # /tmp: the worker's copy of the raw files it sums, DuckDB and Dask spill, its Hamilton cache
  }

  container_definitions = jsonencode([{
    name       = "dask-worker"
    image      = local.pipeline_image
    essential  = true
    entryPoint = ["dask"]
    # one task at a time per worker; DuckDB inside the task uses the task's CPUs (dataflow/runtime.py)
    command = [
      "worker", "tcp://${local.dask_scheduler_host}:${local.dask_scheduler_port}",
      "--nworkers", "1", "--nthreads", "1",
      "--worker-port", tostring(local.dask_worker_port), "--nanny-port", tostring(local.dask_nanny_port),
      "--local-directory", "/tmp/spanishgas/dask", "--memory-limit", "auto",
    ]
    environment            = local.container_environment
    readonlyRootFilesystem = true
    portMappings = [
      { containerPort = local.dask_worker_port, protocol = "tcp" },
      { containerPort = local.dask_nanny_port, protocol = "tcp" },
    ]
    mountPoints = [{ sourceVolume = "scratch", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.dask[0].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
}

resource "aws_ecs_service" "dask_workers" {
  count                  = local.dask_enabled ? 1 : 0
  name                   = "${local.name}-dask-workers"
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.dask_worker[0].arn
  desired_count          = var.dask_workers
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.dask_worker[0].id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_ecs_service.dask_scheduler]
}

# ---- task role of scheduler and workers: read the raw files, nothing else ---------------------------------------
resource "aws_iam_role" "dask" {
  count              = local.dask_enabled ? 1 : 0
  name               = "${local.name}-dask-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "dask" {
  statement {
    sid       = "ReadRawFiles" # a worker on another machine fetches the file it sums (dataflow/bronze/source.py)
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.lake_key_prefix}raw/*"]
  }
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "dask" {
  count  = local.dask_enabled ? 1 : 0
  name   = "read-raw"
  role   = aws_iam_role.dask[0].id
  policy = data.aws_iam_policy_document.dask.json
}

# ---- network: Dask's ports only between the pipeline, the scheduler and the workers -------------------------------
resource "aws_security_group" "dask_scheduler" {
  count       = local.dask_enabled ? 1 : 0
  name        = "${local.name}-dask-scheduler"
  description = "Dask scheduler: 8786 from the pipeline and the workers, 8787 from the pipeline"
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "dask_worker" {
  count       = local.dask_enabled ? 1 : 0
  name        = "${local.name}-dask-workers"
  description = "Dask workers: worker and nanny ports from the scheduler, the pipeline and each other"
  vpc_id      = var.vpc_id
}

locals {
  # Each rule is an ingress on `to` from `from` plus the matching egress on `from`: nothing else may connect.
  dask_all_rules = {
    scheduler_from_pipeline = { to = "scheduler", from = "pipeline", ports = [local.dask_scheduler_port, local.dask_dashboard_port], what = "scheduler and its HTTP endpoint, from the pipeline" }
    scheduler_from_workers  = { to = "scheduler", from = "worker", ports = [local.dask_scheduler_port, local.dask_scheduler_port], what = "scheduler, from the workers" }
    workers_from_scheduler  = { to = "worker", from = "scheduler", ports = [local.dask_worker_port, local.dask_nanny_port], what = "worker and nanny, from the scheduler" }
    workers_from_pipeline   = { to = "worker", from = "pipeline", ports = [local.dask_worker_port, local.dask_worker_port], what = "worker, from the pipeline (results)" }
    workers_from_workers    = { to = "worker", from = "worker", ports = [local.dask_worker_port, local.dask_worker_port], what = "worker, from the other workers" }
  }
  dask_rules = local.dask_enabled ? local.dask_all_rules : {}
  dask_security_groups = local.dask_enabled ? {
    scheduler = aws_security_group.dask_scheduler[0].id
    worker    = aws_security_group.dask_worker[0].id
    pipeline  = aws_security_group.pipeline.id
  } : {}
}

resource "aws_vpc_security_group_ingress_rule" "dask" {
  for_each                     = local.dask_rules
  security_group_id            = local.dask_security_groups[each.value.to]
  referenced_security_group_id = local.dask_security_groups[each.value.from]
  description                  = "Dask ${each.value.what}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.ports[0]
  to_port                      = each.value.ports[1]
}

resource "aws_vpc_security_group_egress_rule" "dask" {
  for_each                     = local.dask_rules
  security_group_id            = local.dask_security_groups[each.value.from]
  referenced_security_group_id = local.dask_security_groups[each.value.to]
  description                  = "Dask ${each.value.what}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.ports[0]
  to_port                      = each.value.ports[1]
}

resource "aws_vpc_security_group_egress_rule" "dask_https" {
  for_each          = { for k, id in local.dask_security_groups : k => id if k != "pipeline" } # pipeline: network.tf
  security_group_id = each.value
  description       = "HTTPS to AWS APIs (S3, ECR, CloudWatch Logs) via NAT or VPC endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
