"""One lake root, on a local disk or on an object store, with the few file operations the lake needs.

    fs = LakeFS.from_location("s3://bucket/prefix")      # or "./sahaja-lake", Path(...), "file:///data/lake"
    fs.write_parquet(frame, "scores", "date=2026-01-01", "detector=x", "in+0+...parquet")
    fs.list_names("scores", "date=2026-01-01", "detector=x")   # file names in one folder
    fs.scan("scores")                                            # hive-partitioned LazyFrame, or None

Local folders keep the writer's old guarantee: a file is written under a hidden temporary name,
fsynced and renamed into place, so a reader never sees half a file. Object stores have no rename,
but a PUT is atomic (an object is invisible until its upload completes), so each file is one PUT
of Parquet bytes built in memory. Every operation raises `OSError` on failure; the writers map it
to their own typed error (`LakeWriteError`, `StoreError`).

Credentials and endpoint come from the standard environment (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for MinIO and other S3-compatible
stores). pyarrow's `S3FileSystem` built directly ignores `AWS_ENDPOINT_URL`, so it is passed as
`endpoint_override`; polars gets the same endpoint in `storage_options`. Secrets are never
copied into options, messages or logs: both clients read them from the environment themselves.
"""

from feedback.lakefs.base import OBJECT_STORE_SCHEMES, LakeFS, LakeLocation, StoreTimeouts, parse_location
from feedback.lakefs.local import LocalLakeFS, fsync_dir
from feedback.lakefs.object_store import ObjectStoreLakeFS

__all__ = [
    "OBJECT_STORE_SCHEMES", "LakeFS", "LakeLocation", "LocalLakeFS", "ObjectStoreLakeFS", "StoreTimeouts",
    "fsync_dir", "parse_location",
]
