"""voronka: customer-journey and sales-funnel analytics."""
