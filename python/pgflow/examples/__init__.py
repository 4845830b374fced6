"""Example flows, shipped with the package: ``python -m pgflow.demo`` runs them.

* :mod:`pgflow.examples.analyze_website` — ``analyze_website_v2``: fetch a
  page, score its sentiment and summarize it in parallel, save the record;
* :mod:`pgflow.examples.fanout` — ``word_count_v1`` and ``square_sum_v1``: map
  steps (one task per array element) and their fan-in.

Being modules of the package, they load anywhere pgflow is installed, e.g.
``pgflow deploy pgflow.examples.analyze_website:AnalyzeWebsite`` and
``pgflow worker pgflow.examples.fanout:WordCount``. Read them as templates:
copy one into your project and change the slug and the handlers.
"""
