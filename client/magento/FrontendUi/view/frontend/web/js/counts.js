/**
 * Refreshes "Only X left" from the exact-counts endpoint after the cached
 * page loads (the page may be hours old; the endpoint's TTL is 30 s).
 * Leaves the text alone when the endpoint has no answer.
 */
define([], function () {
    'use strict';

    return function (config, element) {
        fetch(config.url, {credentials: 'omit'})
            .then(function (response) { return response.ok ? response.json() : {}; })
            .then(function (data) {
                var item = data[config.sku];

                if (!item || item.only_x_left === null) {
                    element.hidden = item && item.status !== 'IN_STOCK';
                    return;
                }
                element.textContent = element.textContent.replace(/\d+(\.\d+)?/, String(item.only_x_left));
            })
            .catch(function () {});
    };
});
