"""A real S3 API on loopback for tests: moto's server with one bucket.

``s3_server()`` starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (a free port), creates
the bucket and yields an ``S3Server`` with the endpoint and the environment a client needs
(test credentials plus ``AWS_ENDPOINT_URL``, which boto3, s3fs and therefore cellops read).
The server stops when the block ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

BUCKET = "cellops-test"


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    bucket: str
    env: dict[str, str]  # AWS_* variables of a client of this server

    def url(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}".rstrip("/")

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix``, sorted."""
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"]
        data: bytes = body.read()
        return data

    def read_json(self, key: str) -> Any:
        return json.loads(self.read(key))


@contextmanager
def s3_server(bucket: str = BUCKET) -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _forget_s3_clients()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            "AWS_ACCESS_KEY_ID": "cellops-test-key",
            "AWS_SECRET_ACCESS_KEY": "cellops-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }
        s3 = S3Server(endpoint, bucket, env)
        s3.client().create_bucket(Bucket=bucket)
        yield s3
    finally:
        server.stop()
        _forget_s3_clients()


def _forget_s3_clients() -> None:
    """fsspec reuses one S3 filesystem per process, bound to the endpoint it first saw: a test
    process that starts a second server must not talk to the first, stopped one."""
    try:
        from s3fs import S3FileSystem
    except ImportError:
        return
    S3FileSystem.clear_instance_cache()
