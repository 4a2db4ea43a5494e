"""The data-residency manifest: every place the deployment keeps data, its retention, readers and exports."""
