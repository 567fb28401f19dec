"""An emulated BlueZ on a private D-Bus, and virtual bands, for bleak's real BlueZ backend."""
