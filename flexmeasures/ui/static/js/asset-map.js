/* Maps of assets (Leaflet). Map tiles only come from a server when the admin configured
   one; otherwise the countries of the bundled world outline (world-atlas, TopoJSON turned
   into GeoJSON by topojson-client) are drawn. The settings and assets come as JSON in a
   <script type="application/json"> element; see flexmeasures/ui/views. */
(function () {
  "use strict";

  function readJson(elementId) {
    return JSON.parse(document.getElementById(elementId).textContent);
  }

  function addBackground(map, settings) {
    if (settings.tiles) {
      L.tileLayer(settings.tiles.url, {
        attribution: settings.tiles.attribution,
        tileSize: settings.tiles.tileSize,
        zoomOffset: settings.tiles.zoomOffset,
        maxZoom: 18,
      }).addTo(map);
      return Promise.resolve();
    }
    map.attributionControl.addAttribution("World outline: Natural Earth (world-atlas)");
    return fetch(settings.outline_url)
      .then(function (response) {
        if (!response.ok) { throw new Error("World outline not found: " + response.status); }
        return response.json();
      })
      .then(function (topology) {
        L.geoJSON(topojson.feature(topology, topology.objects.countries), {
          interactive: false,
          style: { color: "#6b7b8c", weight: 1, fillColor: "#f7f4ea", fillOpacity: 1 },
        }).addTo(map);
      });
  }

  function markerIcon(icon) {
    var badge = document.createElement("div");
    badge.className = "asset-marker";
    badge.style.background = icon.colour;
    badge.style.width = badge.style.height = "30px";
    badge.textContent = icon.label;
    return L.divIcon({
      className: "", html: badge, iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -15],
    });
  }

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  function popupContent(asset) {
    var box = element("div", null, { "class": "asset-popup" });
    box.appendChild(element("h3", asset.name));
    box.appendChild(element("p", asset.asset_type));
    box.appendChild(element("p", asset.state ?
      "Latest state: " + asset.state.value + " at " + asset.state.time :
      "Latest state: no measurements yet"));
    var links = element("p");
    links.appendChild(element("a", "Analytics", { href: asset.analytics_url }));
    links.appendChild(document.createTextNode(" · "));
    links.appendChild(element("a", "Asset page", { href: asset.url }));
    box.appendChild(links);
    return box;
  }

  function addMarkers(map, assets) {
    return assets.map(function (asset) {
      var marker = L.marker([asset.latitude, asset.longitude], {
        icon: markerIcon(asset.icon), title: asset.name, alt: asset.name, keyboard: true,
      });
      if (asset.url) { marker.bindPopup(popupContent(asset)); }
      return marker.addTo(map);
    });
  }

  function fitView(map, markers, settings) {
    if (markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [40, 40], maxZoom: 9 });
    } else {
      map.setView(settings.center || [30, 10], settings.zoom || 2);
    }
  }

  function pickLocation(map, markers) {
    var latitude = document.getElementById("latitude");
    var longitude = document.getElementById("longitude");
    map.on("click", function (event) {
      var point = event.latlng.wrap();
      latitude.value = point.lat.toFixed(6);
      longitude.value = point.lng.toFixed(6);
      if (!markers.length) {
        markers.push(L.marker(point, { title: "Chosen location", alt: "Chosen location" }).addTo(map));
      }
      markers.forEach(function (marker) { marker.setLatLng(point); });
      latitude.dispatchEvent(new Event("change"));
    });
  }

  window.flexmeasuresAssetMap = function (mapId, dataId) {
    var settings = readJson(dataId);
    var container = document.getElementById(mapId);
    var map = L.map(container, { preferCanvas: true, worldCopyJump: true });
    var markers = addMarkers(map, settings.assets);
    fitView(map, markers, settings);
    if (settings.pick_location) { pickLocation(map, markers); }
    addBackground(map, settings).then(function () {
      container.dataset.ready = "true";
    }, function (error) {
      container.dataset.ready = "error";
      console.error(error);
    });
    return map;
  };
})();
