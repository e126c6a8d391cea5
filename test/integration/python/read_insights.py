"""Reads an Avro topic with Confluent's own Python client and prints one JSON object per record:
{"partition", "offset", "key", "value"}. Values are decoded by confluent-kafka's Avro
MessageSerializer, which looks each writer schema up in the registry by the id in the record's
Confluent wire-format header (the decoding AvroConsumer does; AvroConsumer itself would also try to
Avro-decode our plain string keys).

Usage: read_insights.py BOOTSTRAP REGISTRY_URL TOPIC COUNT [TIMEOUT_S]
Exits 0 once COUNT records are read, 2 on timeout. Timestamps (timestamp-millis) print as epoch ms.
"""
import datetime
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def plain(value):
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    raise TypeError(f"cannot encode {type(value).__name__}")


def main():
    bootstrap, registry, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry}))
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"python-reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    read = 0
    deadline = time.monotonic() + timeout_s
    try:
        while read < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(str(message.error()))
            key = message.key()
            print(
                json.dumps(
                    {
                        "partition": message.partition(),
                        "offset": message.offset(),
                        "key": key.decode() if isinstance(key, bytes) else key,
                        "value": serializer.decode_message(message.value(), is_key=False),
                    },
                    default=plain,
                ),
                flush=True,
            )
            read += 1
    finally:
        consumer.close()
    sys.exit(0 if read >= count else 2)


if __name__ == "__main__":
    main()
