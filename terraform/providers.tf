terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0" # exactly: the version .terraform.lock.hcl records, with its hashes
    }
  }

  # Partial S3 backend: the state bucket is created once, outside this stack, and given at init time:
  #   terraform init \
  #     -backend-config="bucket=<state-bucket>" \
  #     -backend-config="key=spanishgas/<env>.tfstate" \
  #     -backend-config="region=eu-west-1" \
  #     -backend-config="encrypt=true" \
  #     -backend-config="use_lockfile=true"      # S3-native locking (Terraform >= 1.10)
  # `terraform init -backend=false` is enough for fmt/validate.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
