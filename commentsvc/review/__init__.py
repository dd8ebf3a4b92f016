"""What moderators do beyond single decisions: policy replay."""
