"""The I/O shell of retrosense: BLE, device decoders, recordings, MQTT and the command line."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
