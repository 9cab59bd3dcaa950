"""What every test shares: a private Mosquitto, one MQTT watcher, one way to wait."""
