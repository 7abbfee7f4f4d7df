import boto3


def test_boto3_reaches_the_embedded_emulation_over_http(aws_endpoint: str) -> None:
    s3 = boto3.client("s3")  # picks up AWS_ENDPOINT_URL like production code does

    s3.create_bucket(Bucket="probe")
    s3.put_object(Bucket="probe", Key="k", Body=b"v")

    assert aws_endpoint.startswith("http://127.0.0.1:")
    assert s3.get_object(Bucket="probe", Key="k")["Body"].read() == b"v"
