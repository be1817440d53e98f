#!/bin/sh
# Run once by docker-compose.scale.yml's minio-init: the bucket, anonymous reads of its media/
# prefix only (never private/: photos are streamed by the views that check access), and the
# application's own key with read-write rights instead of MinIO's root one.
set -eu
mc alias set grid "$S3_ENDPOINT_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "grid/$S3_BUCKET"
mc anonymous set download "grid/$S3_BUCKET/media"
mc admin user add grid "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
mc admin policy attach grid readwrite --user "$S3_ACCESS_KEY_ID" || true  # already attached
