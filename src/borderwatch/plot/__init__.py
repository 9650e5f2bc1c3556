"""Maps and charts (matplotlib, Agg backend): the theatre base map and layers drawn on it.

Rendering is an edge: it may import any layer, and no layer imports it.
"""

import matplotlib

matplotlib.use("Agg")
