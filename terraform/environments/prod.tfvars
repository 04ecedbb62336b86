environment = "prod"
region      = "eu-west-1"
# image_tag is passed by deploy.yml: -var="image_tag=<git sha>"

vpc_id             = "vpc-0fedcba9876543210"
private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
alb_subnet_ids     = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
alb_internal       = true
allowed_cidrs      = ["10.20.0.0/16"]

acm_certificate_arn = "arn:aws:acm:eu-west-1:222222222222:certificate/00000000-0000-0000-0000-000000000000"

pipeline_cpu                   = 4096
pipeline_memory                = 16384
pipeline_ephemeral_storage_gib = 100
dashboard_desired_count        = 2

retrain_schedule      = "cron(0 6 ? * MON *)"
log_level             = "INFO"
alert_emails          = ["retention-analytics@example.com"]
drift_alarm_threshold = 2
