"""What the web screens (the cockpit and the regional screen) share: browser modules served at ``/shared``."""
